// zod -> JSON Schema for the AsyncAPI document. AsyncAPI 3's default payload format is a
// superset of JSON Schema draft 7, so that is the target; each schema is inlined (a local
// `$ref` inside a payload would resolve against the whole document, not the payload).
import { z } from 'zod';
import { ERRORS } from '../core/errors.js';

export type JsonSchema = Record<string, unknown>;

const ERROR_CODES = Object.keys(ERRORS).sort();

/** The JSON Schema of what a sender puts on the wire (zod's input side). */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    // 'any' lets the override below describe the z.custom; nothing else is unrepresentable.
    unrepresentable: 'any',
    override: (ctx) => {
      // The one custom type of the protocol is an error code (a z.custom over ERRORS):
      // say what it accepts instead of failing the whole document.
      if (ctx.zodSchema._zod.def.type === 'custom') {
        for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
        Object.assign(ctx.jsonSchema, { type: 'string', enum: ERROR_CODES });
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}
