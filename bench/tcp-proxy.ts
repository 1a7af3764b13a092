// Fault injection for the tests (the chaos soak partitions real lab hosts instead:
// bench/soak-engine.ts). A TCP proxy on 127.0.0.1 (port 0) in front of one target that can
// freeze: while frozen it forwards nothing in either direction and closes nothing (no FIN,
// no RST), as a cable pulled or a link set down looks to both ends; what was sent meanwhile
// is held and delivered on thaw, as TCP would retransmit it once the path is back.
// Connections accepted while frozen stay open and silent too. The caller closes it
// (afterEach).
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  readonly frozen: boolean;
  freeze(): void;
  thaw(): void;
  /** Connections that were opened through it so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  let opened = 0;
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  const closes: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push({ to, chunk });
      else if (!to.destroyed) to.write(chunk);
    });
    // A close is news that travels like data: held until thaw.
    from.on('close', () => {
      if (frozen) closes.push(to);
      else to.destroy();
    });
    from.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    opened += 1;
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy has no port');
  return {
    port: address.port,
    url: `mqtt://127.0.0.1:${address.port}`,
    get frozen() {
      return frozen;
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
      for (const to of closes.splice(0)) to.destroy();
    },
    connections: () => opened,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
