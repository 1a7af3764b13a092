// Who may connect, as whom: pinned client ids, wills checked like publishes, anonymous
// clients by listener address. Pure: the broker passes the facts in.
import { authorize } from './authorize.js';
import {
  AGENT_CLIENT_ID_PREFIX,
  agentClientId,
  isAgentId,
  ORCHESTRATOR_CLIENT_ID_PREFIX,
  type Role,
} from './roles.js';

/** MQTT 3.1.1 CONNACK return codes used for refusals [MQTT-3.2.2.3]. */
export const CONNACK = {
  identifierRejected: 2,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;
export type RefusalCode = (typeof CONNACK)[keyof typeof CONNACK];

export type ConnectDecision = { ok: true } | { ok: false; returnCode: RefusalCode; reason: string };

export interface ConnectFacts {
  role: Role;
  user: string;
  clientId: string;
  /** The will's topic, when the CONNECT carries one. */
  willTopic?: string | null;
  prefix: string;
}

/** Checks an authenticated identity against its client id and will. */
export function authorizeConnect(facts: ConnectFacts): ConnectDecision {
  const { role, user, clientId, prefix } = facts;
  if (role === 'agent') {
    if (!isAgentId(user)) {
      return refuse(CONNACK.notAuthorized, `agent user name ${JSON.stringify(user)} cannot be a topic level`);
    }
    if (clientId !== agentClientId(user)) {
      return refuse(
        CONNACK.identifierRejected,
        `agent ${user} must connect with client id ${agentClientId(user)}, not ${JSON.stringify(clientId)}`,
      );
    }
  } else if (clientId.startsWith(AGENT_CLIENT_ID_PREFIX)) {
    return refuse(
      CONNACK.identifierRejected,
      `client ids ${AGENT_CLIENT_ID_PREFIX}* are reserved for agents`,
    );
  }
  if (role !== 'orchestrator' && clientId.startsWith(ORCHESTRATOR_CLIENT_ID_PREFIX)) {
    return refuse(
      CONNACK.identifierRejected,
      `client ids ${ORCHESTRATOR_CLIENT_ID_PREFIX}* are reserved for the orchestrator`,
    );
  }
  if (facts.willTopic !== undefined && facts.willTopic !== null) {
    // The broker publishes a will on the client's behalf, so it gets the publish check now
    // rather than when the connection dies (Mosquitto refuses such a CONNECT too).
    const will = authorize(role, user, 'publish', facts.willTopic, prefix);
    if (!will.allowed) return refuse(CONNACK.notAuthorized, `will topic refused: ${will.reason}`);
  }
  return { ok: true };
}

function refuse(returnCode: RefusalCode, reason: string): ConnectDecision {
  return { ok: false, returnCode, reason };
}

/**
 * Anonymous clients (no user name): `refuse` them, let them in as viewers from `loopback`
 * addresses only, or from `any` address.
 */
export type AnonymousPolicy = 'refuse' | 'loopback' | 'any';

/** A broker that listens only on loopback lets local anonymous viewers in; any other refuses. */
export function defaultAnonymousPolicy(listenHosts: readonly string[]): AnonymousPolicy {
  return listenHosts.length > 0 && listenHosts.every(isLoopbackAddress) ? 'loopback' : 'refuse';
}

export type AnonymousDecision = { ok: true; role: 'viewer' } | { ok: false; reason: string };

export function admitAnonymous(
  policy: AnonymousPolicy,
  remoteAddress: string | undefined,
): AnonymousDecision {
  switch (policy) {
    case 'any':
      return { ok: true, role: 'viewer' };
    case 'loopback':
      return isLoopbackAddress(remoteAddress)
        ? { ok: true, role: 'viewer' }
        : {
            ok: false,
            reason: `anonymous clients are accepted from loopback only, not ${remoteAddress ?? '?'}`,
          };
    case 'refuse':
      return { ok: false, reason: 'anonymous clients are refused: give a user name and password' };
    default:
      return assertNever(policy);
  }
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms; `localhost` as a listen host. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function assertNever(value: never): never {
  throw new Error(`unhandled anonymous policy ${String(value)}`);
}
