// aedes hooks that enforce users, roles and topic ACLs. Every decision comes from the pure
// src/core/acl module; this file only carries facts in and refusals out, logging and
// counting each refusal with user, client id, topic and reason.
import type { AedesOptions, AuthErrorCode, AuthenticateError, Client, Connection } from 'aedes';
import {
  type AnonymousPolicy,
  admitAnonymous,
  authorize,
  authorizeConnect,
  CONNACK,
  mayRead,
  type RefusalCode,
  type Role,
} from '../src/core/acl/index.js';
import type { Logger } from '../src/logging/logger.js';
import type { BrokerStats } from './stats.js';
import type { UserDirectory } from './users.js';

export interface Identity {
  /** User name; `anonymous` for clients without one. */
  readonly user: string;
  readonly role: Role;
}

export interface ConnectionInfo {
  remoteAddress: string | undefined;
  listener: 'tcp' | 'tls' | 'ws';
}

export interface SecurityContext {
  users: UserDirectory;
  prefix: string;
  anonymous: AnonymousPolicy;
  stats: BrokerStats;
  log: Logger;
  /** Facts about each connection stream handed to aedes (remote address, listener). */
  connections: WeakMap<Connection, ConnectionInfo>;
}

export type SecurityHooks = Required<
  Pick<
    AedesOptions,
    'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'
  >
>;

const ANONYMOUS = 'anonymous';

function connectError(returnCode: RefusalCode, reason: string): AuthenticateError {
  // aedes turns returnCode 2..5 into the CONNACK return code [MQTT-3.2.2-5].
  return Object.assign(new Error(reason), { returnCode: returnCode as number as AuthErrorCode });
}

export function createSecurityHooks(ctx: SecurityContext): {
  hooks: SecurityHooks;
  identityOf(client: Client): Identity | undefined;
} {
  const identities = new WeakMap<Client, Identity>();
  const wills = new WeakMap<Client, string | null>();
  const { log, stats, prefix } = ctx;

  const refuseConnect = (
    client: Client,
    user: string,
    code: RefusalCode,
    reason: string,
  ): AuthenticateError => {
    stats.refused.connect += 1;
    const info = ctx.connections.get(client.conn);
    log.warn(
      {
        user,
        clientId: client.id,
        remote: info?.remoteAddress,
        listener: info?.listener,
        returnCode: code,
        reason,
      },
      'refused connect',
    );
    return connectError(code, reason);
  };

  const hooks: SecurityHooks = {
    preConnect(client, packet, callback) {
      // The will travels in CONNECT; authenticate() only sees user and password.
      wills.set(client, packet.will?.topic ?? null);
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      const willTopic = wills.get(client) ?? null;
      const finish = (identity: Identity): void => {
        const decision = authorizeConnect({
          role: identity.role,
          user: identity.user,
          clientId: client.id,
          willTopic,
          prefix,
        });
        if (!decision.ok) {
          done(refuseConnect(client, identity.user, decision.returnCode, decision.reason), false);
          return;
        }
        identities.set(client, identity);
        stats.accepted += 1;
        log.debug({ user: identity.user, role: identity.role, clientId: client.id }, 'client authenticated');
        done(null, true);
      };
      if (username === undefined || username === '') {
        const info = ctx.connections.get(client.conn);
        const admitted = admitAnonymous(ctx.anonymous, info?.remoteAddress);
        if (!admitted.ok) {
          done(refuseConnect(client, ANONYMOUS, CONNACK.notAuthorized, admitted.reason), false);
          return;
        }
        finish({ user: ANONYMOUS, role: admitted.role });
        return;
      }
      ctx.users.verify(username, password).then(
        (role) => {
          if (role === null) {
            done(
              refuseConnect(client, username, CONNACK.badUserNameOrPassword, 'bad user name or password'),
              false,
            );
            return;
          }
          finish({ user: username, role });
        },
        (err: unknown) => {
          log.error({ err, user: username, clientId: client.id }, 'password check failed');
          done(refuseConnect(client, username, CONNACK.notAuthorized, 'password check failed'), false);
        },
      );
    },
    authorizePublish(client, packet, callback) {
      // client is null only for a will aedes republishes from persistence after a crash;
      // that will was checked when its client connected.
      if (client === null) return callback(null);
      const identity = identities.get(client);
      const decision = identity
        ? authorize(identity.role, identity.user, 'publish', packet.topic, prefix)
        : { allowed: false as const, reason: 'client has no identity' };
      if (decision.allowed) return callback(null);
      stats.refused.publish += 1;
      log.warn(
        { user: identity?.user, clientId: client.id, topic: packet.topic, reason: decision.reason },
        'refused publish',
      );
      // [MQTT-3.3.5-2] the broker may not tell a 3.1.1 client; aedes closes its connection.
      callback(new Error(`publish to ${packet.topic} refused: ${decision.reason}`));
    },
    authorizeSubscribe(client, subscription, callback) {
      const identity = identities.get(client);
      const decision = identity
        ? authorize(identity.role, identity.user, 'subscribe', subscription.topic, prefix)
        : { allowed: false as const, reason: 'client has no identity' };
      if (decision.allowed) {
        if (decision.scope === 'filtered') {
          log.debug(
            { user: identity?.user, clientId: client.id, topic: subscription.topic },
            decision.reason,
          );
        }
        callback(null, subscription);
        return;
      }
      stats.refused.subscribe += 1;
      log.warn(
        { user: identity?.user, clientId: client.id, topic: subscription.topic, reason: decision.reason },
        'refused subscribe',
      );
      // A null subscription is answered with SUBACK 0x80 for this filter [MQTT-3.9.3].
      callback(null, null);
    },
    authorizeForward(client, packet) {
      const identity = identities.get(client);
      if (identity && mayRead(identity.role, identity.user, packet.topic, prefix)) return packet;
      stats.filtered += 1;
      return null;
    },
  };
  return { hooks, identityOf: (client) => identities.get(client) };
}
