// The AsyncAPI document: valid for the official parser, in step with the zod schemas (the
// committed docs/asyncapi.yaml is exactly what the generator makes now), and complete
// (every topic kind, every action, method and event type has its channel or message).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateAsyncApi, renderAsyncApi } from '../../../src/asyncapi/index.js';
import { EVENT_TYPES } from '../../../src/protocol/events.js';
import { AGENT_ACTIONS, REQUEST_METHODS, TOPIC_KINDS } from '../../../src/protocol/topics.js';

const committed = fileURLToPath(new URL('../../../docs/asyncapi.yaml', import.meta.url));

describe('AsyncAPI document', () => {
  it('is what the generator makes from the schemas now (regenerate: alicia docs asyncapi --out docs/asyncapi.yaml)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderAsyncApi());
  });

  it('parses with @asyncapi/parser without errors, warnings or hints', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(committed, 'utf8'));
    expect(diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual(
      [],
    );
    expect(document).toBeDefined();
    // One channel per request method and per action, one per other topic kind.
    expect(document?.channels().length).toBe(
      REQUEST_METHODS.length + AGENT_ACTIONS.length + TOPIC_KINDS.length - 2,
    );
    const events = document?.channels().get('servicesEvents');
    expect(
      events
        ?.messages()
        .all()
        .map((m) => m.name())
        .sort(),
    ).toEqual([...EVENT_TYPES].sort());
  });

  it('describes each event type with its own event_data', () => {
    const doc = generateAsyncApi({ version: '0.0.0' }) as {
      components: {
        schemas: Record<string, { properties: Record<string, { properties?: object; const?: string }> }>;
      };
    };
    for (const type of EVENT_TYPES) {
      const schema = doc.components.schemas[`event.${type}`];
      expect(schema?.properties.event_type?.const, type).toBe(type);
      expect(schema?.properties.event_data, type).toBeDefined();
    }
    // Nothing was left unrepresentable (zod would write an empty schema, `{}`).
    expect(renderAsyncApi()).not.toMatch(/: \{\}$/m);
    // Error codes are listed, not left as an empty schema.
    const response = JSON.stringify(doc.components.schemas.actionResponse);
    expect(response).toContain('ALICIA_ERR_UNSUPPORTED');
  });

  it('says who sends and who receives: the agent receives its actions and sends its presence', () => {
    const doc = parse(renderAsyncApi()) as { operations: Record<string, { action: string }> };
    for (const action of AGENT_ACTIONS) {
      const id = `agentAction${action.charAt(0).toUpperCase()}${action.slice(1)}`;
      expect(doc.operations[`agent.receive.${id}`]?.action).toBe('receive');
      expect(doc.operations[`orchestrator.send.${id}`]?.action).toBe('send');
    }
    expect(doc.operations['agent.send.agentState']?.action).toBe('send');
    expect(doc.operations['client.send.orchestratorRequestDeploy']?.action).toBe('send');
  });

  it('takes a prefix', () => {
    const doc = generateAsyncApi({ version: '0.0.0', prefix: 'home/alicia' }) as {
      channels: Record<string, { address: string }>;
    };
    expect(doc.channels.servicesEvents?.address).toBe('home/alicia/services/events');
  });
});
