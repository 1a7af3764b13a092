export type { AsyncApiOptions } from './generate.js';
export { ASYNCAPI_VERSION, generateAsyncApi } from './generate.js';
export { renderAsyncApi } from './render.js';
export type { JsonSchema } from './schema.js';
export { toJsonSchema } from './schema.js';
