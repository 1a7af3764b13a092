// One error table for the whole product. Every error a user or a peer can see carries one
// of these codes. Codes are documented in docs/errors.md (a test keeps both in step) and
// a retired code is never reused: mark it retired here instead of deleting it.

export const ERRORS = {
  // Configuration and Compose files
  ALICIA_ERR_CONFIG_INVALID: 'Configuration is invalid',
  ALICIA_ERR_COMPOSE_NOT_FOUND: 'Compose file not found',
  ALICIA_ERR_COMPOSE_YAML: 'Compose file is not valid YAML',
  ALICIA_ERR_COMPOSE_INVALID: 'Compose file is invalid',
  ALICIA_ERR_COMPOSE_INTERPOLATION: 'Variable interpolation failed',
  ALICIA_ERR_COMPOSE_UNSUPPORTED: 'Compose key cannot be honoured by Alicia',
  // Dependency graph
  ALICIA_ERR_DEPENDENCY_UNKNOWN: 'Service depends on a service that does not exist',
  ALICIA_ERR_DEPENDENCY_CYCLE: 'Services depend on each other in a cycle',
  // Protocol (payloads on the wire)
  ALICIA_ERR_PAYLOAD_TOO_LARGE: 'Payload is larger than allowed',
  ALICIA_ERR_PAYLOAD_JSON: 'Payload is not valid JSON',
  ALICIA_ERR_PAYLOAD_SCHEMA: 'Payload does not match the schema of its topic',
  ALICIA_ERR_TOPIC_UNKNOWN: 'Topic is not part of the protocol',
  ALICIA_ERR_ID_INVALID: 'Identifier is empty or holds a character not allowed in a topic',
  ALICIA_ERR_TRANSPORT_CLOSED: 'The broker connection was closed by its owner',
  // Commands and requests
  ALICIA_ERR_COMMAND_STALE: 'Command arrived after it expired',
  ALICIA_ERR_COMMAND_FAILED: 'Command failed',
  ALICIA_ERR_REQUEST_TIMEOUT: 'No reply before the timeout',
  ALICIA_ERR_REQUEST_UNKNOWN_METHOD: 'Request method does not exist',
  ALICIA_ERR_ORCHESTRATOR_OFFLINE: 'No orchestrator is online',
  ALICIA_ERR_NOT_FOUND: 'Object does not exist',
  ALICIA_ERR_UNSUPPORTED: 'The agent does not speak a field of the command (upgrade it)',
  // Agent policy
  ALICIA_ERR_POLICY_PRIVILEGED: 'Privileged containers are refused by local policy',
  ALICIA_ERR_POLICY_HOST_PATH: 'Host path is outside the allowed paths',
  ALICIA_ERR_POLICY_DEVICE: 'The agent policy refuses a device mapping',
  ALICIA_ERR_POLICY_IMAGE: 'Image is outside the allowed images',
  ALICIA_ERR_POLICY_HOST_NAMESPACE: 'The agent policy refuses sharing a host namespace',
  // Container runtime
  ALICIA_ERR_DOCKER_UNREACHABLE: 'Docker engine is unreachable',
  ALICIA_ERR_IMAGE_PULL: 'Image could not be pulled',
  ALICIA_ERR_RUNTIME: 'Container runtime operation failed',
  // Orchestration
  ALICIA_ERR_PLACEMENT: 'No host satisfies the placement constraints',
  ALICIA_ERR_DEPLOY_FAILED: 'Deploy failed',
  ALICIA_ERR_DEPENDENCY_FAILED: 'A dependency failed, so its dependents were not started',
  ALICIA_ERR_CIRCUIT_OPEN: 'Healing gave up on a service: its circuit is open until an operator heals it',
  ALICIA_ERR_TIMEOUT: 'Operation timed out',
  // Broker and security
  ALICIA_ERR_AUTH: 'Authentication failed',
  ALICIA_ERR_FORBIDDEN: 'Not authorized for this topic',
  ALICIA_ERR_SIGNATURE: 'Command signature is missing or invalid',
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AliciaError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable facts (file, path, service, topic…). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code], { cause: options?.cause });
    this.name = 'AliciaError';
    this.code = code;
    this.details = Object.freeze({ ...options?.details });
  }

  /** The `{code, message}` shape used in error replies on the wire. */
  toWire(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The one factory: `aliciaError('ALICIA_ERR_COMPOSE_INVALID', 'services.api.image: required')`. */
export function aliciaError(
  code: ErrorCode,
  detail?: string,
  options?: { cause?: unknown; details?: Record<string, unknown> },
): AliciaError {
  return new AliciaError(code, detail, options);
}

export function isAliciaError(err: unknown): err is AliciaError {
  return err instanceof AliciaError;
}

/** Wraps an unknown throwable into an AliciaError with the given fallback code. */
export function toAliciaError(err: unknown, fallback: ErrorCode): AliciaError {
  if (err instanceof AliciaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AliciaError(fallback, message, { cause: err });
}
