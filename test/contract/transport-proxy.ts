// A TCP proxy between a transport and its broker, so a test can cut a connection the way a
// network failure does (no MQTT DISCONNECT: the broker publishes the will) and keep the
// client away for a while, whatever the broker. Loopback only, port 0.
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** Destroys every open connection, both sides, without a DISCONNECT. Resolves with how many. */
  dropAll(): number;
  /** While blocked, new connections are closed at once (the client cannot reconnect). */
  block(blocked: boolean): void;
  /** Connections closed at once because the proxy was blocked. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let blocked = false;
  let refused = 0;
  const server = net.createServer((client) => {
    if (blocked) {
      refused += 1;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    port: address.port,
    url: `mqtt://127.0.0.1:${address.port}`,
    get refused() {
      return refused;
    },
    dropAll() {
      const n = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return n;
    },
    block(value) {
      blocked = value;
    },
    async close() {
      blocked = true;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
