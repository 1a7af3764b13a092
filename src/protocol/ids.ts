import { z } from 'zod';

/**
 * An id that becomes one topic level (agent, service, instance, method, action).
 * [MQTT-4.7.1-1] `+` and `#` are wildcards and `/` separates levels, so none may appear;
 * an empty level would collide with its neighbours. We accept only a safe charset.
 */
export const TopicIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'may hold only letters, digits, "_", "." and "-" (no "+", "#", "/")',
  );

export function isTopicId(id: string): boolean {
  return TopicIdSchema.safeParse(id).success;
}

/** Names of stacks, services and projects: safe in MQTT topics and Docker names. */
export const NameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'may hold only letters, digits, "_", "." and "-", starting with a letter or digit',
  );
