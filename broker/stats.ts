// Counters the broker exposes on its handle: every refusal is counted by kind.
export interface BrokerStats {
  /** Connections that passed authentication. */
  accepted: number;
  refused: {
    /** CONNECT refused (bad credentials, client id, will, anonymous). */
    connect: number;
    /** PUBLISH refused by the ACL (the client is disconnected). */
    publish: number;
    /** SUBSCRIBE filters refused (SUBACK 0x80). */
    subscribe: number;
    /** Packets larger than max packet bytes (the client is disconnected). */
    oversized: number;
    /** TLS handshakes that failed (no or untrusted client certificate, wrong CA…). */
    tls: number;
  };
  /** Messages not forwarded to a subscriber with a filtered grant (e.g. a viewer on `alicia/#`). */
  filtered: number;
}

export function createStats(): BrokerStats {
  return {
    accepted: 0,
    refused: { connect: 0, publish: 0, subscribe: 0, oversized: 0, tls: 0 },
    filtered: 0,
  };
}
