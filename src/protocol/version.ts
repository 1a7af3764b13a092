import { z } from 'zod';

/** Schema version carried by every payload as `v`. Bump on an incompatible change. */
export const PROTOCOL_VERSION = 1 as const;
export const VersionSchema = z.literal(PROTOCOL_VERSION);

/** Largest payload a process accepts (bytes); the broker enforces the same limit. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
