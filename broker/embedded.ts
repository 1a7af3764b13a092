// The embedded aedes broker: one TCP listener, started on an ephemeral port in tests
// (port 0) or on a fixed one. Authentication, ACLs, TLS and WebSockets plug in here.
import net from 'node:net';
import { Aedes, type AedesOptions, type Client } from 'aedes';

export interface EmbeddedBrokerOptions {
  /** 127.0.0.1 by default: an embedded broker is local unless asked otherwise. */
  host?: string;
  /** 0 picks a free port (tests); 1883 is MQTT's registered port. */
  port?: number;
  /** aedes hooks (authenticate, authorizePublish, …) and settings. */
  aedes?: AedesOptions;
}

export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  /** Cuts one client's connection without a DISCONNECT, as a network failure would. */
  dropClient(clientId: string): boolean;
  /** Closes the listener, drops every client and stops aedes. */
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker(options.aedes);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 1883, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const clients = new Map<string, Client>();
  aedes.on('client', (client) => clients.set(client.id, client));
  aedes.on('clientDisconnect', (client) => {
    if (clients.get(client.id) === client) clients.delete(client.id);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker listener has no TCP address');
  let closing: Promise<void> | null = null;
  return {
    aedes,
    host,
    port: address.port,
    url: `mqtt://${host}:${address.port}`,
    dropClient(clientId) {
      const client = clients.get(clientId);
      if (!client) return false;
      client.conn.destroy();
      return true;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        // net.Server.close waits for open connections, so end them first.
        for (const socket of sockets) socket.destroy();
        server.close(() => aedes.close(() => resolve()));
      });
      return closing;
    },
  };
}
