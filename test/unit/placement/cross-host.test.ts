// Names across hosts (pure): which /etc/hosts entries an instance gets for services on other
// hosts, and which dependents cannot reach a dependency (it publishes nothing).
import { describe, expect, it } from 'vitest';
import {
  crossHostWarnings,
  extraHostEntries,
  hostLinks,
  type LinkService,
  type Placed,
} from '../../../src/core/placement/index.js';

const services: LinkService[] = [
  { name: 'web', reachable: false, dependsOn: ['api'] },
  { name: 'api', reachable: true, dependsOn: ['db'] },
  { name: 'db', reachable: true, dependsOn: [] },
];
const ADDRESSES: Record<string, string> = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' };
const addressOf = (agent: string) => ADDRESSES[agent];
const links = (service: string, agent: string, placed: Placed[]) =>
  extraHostEntries(hostLinks({ service, agent, services, placed, addressOf }));

describe('hostLinks', () => {
  it('points every reachable service on another host at that host, none for same-host services', () => {
    const placed = [
      { service: 'web', agent: 'a' },
      { service: 'api', agent: 'b' },
      { service: 'db', agent: 'c' },
    ];
    expect(links('web', 'a', placed)).toEqual(['api:10.0.0.2', 'db:10.0.0.3']);
    expect(links('api', 'b', placed)).toEqual(['db:10.0.0.3']);
    // web publishes nothing: nobody gets an entry for it.
    expect(links('db', 'c', placed)).toEqual(['api:10.0.0.2']);
  });

  it('leaves a service to the stack network when one of its instances is on the same host', () => {
    const placed = [
      { service: 'web', agent: 'a' },
      { service: 'api', agent: 'a' },
      { service: 'api', agent: 'b' },
      { service: 'db', agent: 'a' },
    ];
    expect(links('web', 'a', placed)).toEqual([]);
  });

  it('picks the first host by id for a service on several others, and skips hosts with no address', () => {
    const placed = [
      { service: 'web', agent: 'a' },
      { service: 'api', agent: 'c' },
      { service: 'api', agent: 'b' },
      { service: 'db', agent: 'x' },
    ];
    expect(links('web', 'a', placed)).toEqual(['api:10.0.0.2']);
  });

  it('follows a move: the entry changes with the placement', () => {
    const before = [
      { service: 'web', agent: 'a' },
      { service: 'api', agent: 'b' },
    ];
    const after = [
      { service: 'web', agent: 'a' },
      { service: 'api', agent: 'c' },
    ];
    expect(links('web', 'a', before)).not.toEqual(links('web', 'a', after));
    expect(links('web', 'a', after)).toEqual(['api:10.0.0.3']);
  });
});

describe('crossHostWarnings', () => {
  it('names both services and hosts when a dependency on another host publishes nothing', () => {
    const quiet: LinkService[] = [
      { name: 'w', reachable: false, dependsOn: ['q'] },
      { name: 'q', reachable: false, dependsOn: [] },
    ];
    const warnings = crossHostWarnings(quiet, [
      { service: 'w', agent: 'a' },
      { service: 'q', agent: 'c' },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      dependent: 'w',
      dependent_agent: 'a',
      dependency: 'q',
      dependency_agent: 'c',
    });
    expect(warnings[0]?.message).toBe(
      'service "w" on a depends on "q" on c, which publishes no port: "w" cannot reach it across hosts (publish its port, or keep both on one host with x-alicia.hosts)',
    );
  });

  it('says nothing when the dependency is on the same host or publishes a port', () => {
    const quiet: LinkService[] = [
      { name: 'w', reachable: false, dependsOn: ['q', 'p'] },
      { name: 'q', reachable: false, dependsOn: [] },
      { name: 'p', reachable: true, dependsOn: [] },
    ];
    expect(
      crossHostWarnings(quiet, [
        { service: 'w', agent: 'a' },
        { service: 'q', agent: 'a' },
        { service: 'p', agent: 'b' },
      ]),
    ).toEqual([]);
  });
});
