// docs/protocol.md cannot drift from the schemas: every example payload in it is parsed with
// the schema of its topic, and every topic kind, agent action and request method (request,
// ok reply and error reply) must have an example. A failure names the topic, the line of the
// doc and the schema's complaint, so an example is quick to fix after a schema change.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prettifyError } from 'zod';
import {
  AGENT_ACTIONS,
  isRequestMethod,
  parseIncoming,
  parseTopic,
  REQUEST_METHODS,
  REQUESTS,
  TOPIC_KINDS,
} from '../../../src/protocol/index.js';

const DOC_PATH = new URL('../../../docs/protocol.md', import.meta.url);
const DOC = readFileSync(DOC_PATH, 'utf8');

interface Example {
  /** 1-based line of the `topic:` line in docs/protocol.md. */
  line: number;
  topic: string;
  /** For replies: the request method it answers (`(reply to <method>)`). */
  replyTo: string | null;
  json: string;
}

/** `topic: <topic>[ (reply to <method>)]` immediately followed by a ```json fenced block. */
function examples(doc: string): Example[] {
  const out: Example[] = [];
  const re = /^topic: (\S+)(?: \(reply to ([a-z_]+)\))?\n```json\n([\s\S]*?)\n```$/gm;
  for (const m of doc.matchAll(re)) {
    out.push({
      line: doc.slice(0, m.index).split('\n').length,
      topic: m[1] ?? '',
      replyTo: m[2] ?? null,
      json: m[3] ?? '',
    });
  }
  return out;
}

const ALL = examples(DOC);

function where(e: Example): string {
  return `docs/protocol.md:${e.line} (${e.topic})`;
}

describe('docs/protocol.md', () => {
  it('has examples, and every ```json block is tagged with its topic', () => {
    expect(ALL.length).toBeGreaterThan(40);
    const fences = DOC.match(/^```json$/gm)?.length ?? 0;
    expect(fences, 'a ```json block without a `topic: …` line right above it').toBe(ALL.length);
  });

  it('every example is valid JSON that parses with the schema of its topic', () => {
    const failures: string[] = [];
    for (const e of ALL) {
      try {
        JSON.parse(e.json);
      } catch (err) {
        failures.push(`${where(e)}: not JSON: ${(err as Error).message}`);
        continue;
      }
      const parsed = parseIncoming(e.topic, e.json);
      if (!parsed.ok) failures.push(`${where(e)}: ${parsed.error.code}: ${parsed.error.message}`);
    }
    // One line per failing example: topic, doc line, and the schema's complaint.
    expect(failures.join('\n')).toBe('');
  });

  it('has an example of every topic kind, and lists every kind in the topic table', () => {
    const kinds = new Set(ALL.map((e) => parseTopic(e.topic)?.kind));
    expect(
      TOPIC_KINDS.filter((k) => !kinds.has(k)),
      'topic kinds without an example',
    ).toEqual([]);
    const table = new Set([...DOC.matchAll(/^\| `[^`]+` \| `([a-z_]+)` \|/gm)].map((m) => m[1]));
    expect(
      TOPIC_KINDS.filter((k) => !table.has(k)),
      'topic kinds missing from the topic table',
    ).toEqual([]);
  });

  it('has every agent action with its response', () => {
    const missing: string[] = [];
    for (const action of AGENT_ACTIONS) {
      const of = (kind: string) =>
        ALL.some((e) => {
          const t = parseTopic(e.topic);
          return t?.kind === kind && 'action' in t && t.action === action;
        });
      if (!of('agent_cmd')) missing.push(`cmd/${action}`);
      if (!of('agent_response')) missing.push(`response/${action}`);
    }
    expect(missing, 'agent actions without an example').toEqual([]);
  });

  it('has every request method with an ok reply and an error reply', () => {
    const missing: string[] = [];
    for (const method of REQUEST_METHODS) {
      const request = ALL.some((e) => {
        const t = parseTopic(e.topic);
        return t?.kind === 'orchestrator_request' && t.method === method;
      });
      if (!request) missing.push(`request/${method}`);
      for (const status of ['ok', 'error']) {
        const reply = ALL.some(
          (e) =>
            e.replyTo === method &&
            parseTopic(e.topic)?.kind === 'client_reply' &&
            (JSON.parse(e.json) as { status?: string }).status === status,
        );
        if (!reply) missing.push(`${status} reply to ${method}`);
      }
    }
    expect(missing, 'request methods without an example').toEqual([]);
  });

  it("every ok reply's data parses with its method's reply schema", () => {
    const failures: string[] = [];
    for (const e of ALL) {
      if (e.replyTo === null || !isRequestMethod(e.replyTo)) continue;
      const reply = JSON.parse(e.json) as { status?: string; data?: unknown };
      if (reply.status !== 'ok') continue;
      const parsed = REQUESTS[e.replyTo].reply.safeParse(reply.data);
      if (!parsed.success)
        failures.push(
          `${where(e)}: ${e.replyTo} reply: ${prettifyError(parsed.error).replaceAll('\n', '; ')}`,
        );
    }
    expect(failures.join('\n')).toBe('');
  });

  it('tags replies only with methods that exist', () => {
    const unknown = ALL.filter(
      (e) => e.replyTo !== null && !(REQUEST_METHODS as readonly string[]).includes(e.replyTo),
    );
    expect(unknown.map(where)).toEqual([]);
  });
});
