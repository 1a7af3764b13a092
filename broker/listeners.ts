// The broker's listeners: plain TCP, TLS and MQTT over WebSocket. Each hands aedes a stream
// wrapped by the packet-size limit and records where the connection came from.
import http from 'node:http';
import type net from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { ConnectionInfo } from './security.js';

export interface Listener {
  readonly kind: ConnectionInfo['listener'];
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Called with each new connection: the raw stream and what is known about its peer. */
export type Accept = (stream: Duplex, info: ConnectionInfo, req?: http.IncomingMessage) => void;

export interface TlsListenerOptions {
  /** Listen address; the broker's host when absent. */
  host?: string;
  /** 0 picks a free port; 8883 is MQTT over TLS's registered port. */
  port: number;
  /** PEM server certificate chain and private key. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM CA bundle that signs client certificates. */
  ca?: string | Buffer;
  /** Refuse clients that do not present a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface WebSocketListenerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** URL path that serves MQTT; every path when absent. */
  path?: string;
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('listener has no TCP address'));
      else resolve(address.port);
    });
  });
}

/** Tracks sockets so close() does not wait for idle clients (net.Server.close waits). */
function tracked(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

export async function startTcpListener(host: string, port: number, accept: Accept): Promise<Listener> {
  // MQTT packets are small and latency-bound: Nagle plus delayed ACKs would hold them ~200 ms.
  const server = createTcpServer({ noDelay: true }, (socket) => {
    accept(socket, { remoteAddress: socket.remoteAddress, listener: 'tcp' });
  });
  const close = tracked(server);
  const bound = await listen(server, port, host);
  return { kind: 'tcp', host, port: bound, close };
}

export async function startTlsListener(
  defaultHost: string,
  options: TlsListenerOptions,
  accept: Accept,
  onHandshakeError: (err: Error, remoteAddress: string | undefined) => void,
): Promise<Listener> {
  const host = options.host ?? defaultHost;
  const requireClientCert = options.requireClientCert ?? false;
  if (requireClientCert && !options.ca) throw new Error('TLS client certificates require a CA (tls ca)');
  const server = tls.createServer(
    {
      cert: options.cert,
      key: options.key,
      ...(options.ca ? { ca: options.ca } : {}),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      socket.setNoDelay(true);
      accept(socket, { remoteAddress: socket.remoteAddress, listener: 'tls' });
    },
  );
  server.on('tlsClientError', (err, socket) => onHandshakeError(err, socket.remoteAddress));
  const close = tracked(server);
  const bound = await listen(server, options.port, host);
  return { kind: 'tls', host, port: bound, close };
}

export async function startWebSocketListener(
  defaultHost: string,
  options: WebSocketListenerOptions,
  maxFrameBytes: number,
  accept: Accept,
): Promise<Listener> {
  const host = options.host ?? defaultHost;
  const server = http.createServer((_req, res) => {
    // Plain HTTP requests get a short answer; only WebSocket upgrades speak MQTT.
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n');
  });
  const wss = new WebSocketServer({
    server,
    maxPayload: maxFrameBytes,
    ...(options.path ? { path: options.path } : {}),
    // [MQTT-6.0.0-3] the subprotocol is "mqtt"; accept clients that do not name one too.
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (websocket, req) => {
    const stream = createWebSocketStream(websocket);
    // A peer that goes away mid-frame makes the stream error; aedes sees the close.
    stream.on('error', () => undefined);
    accept(stream, { remoteAddress: req.socket.remoteAddress, listener: 'ws' }, req);
  });
  const closeHttp = tracked(server);
  const bound = await listen(server, options.port, host);
  return {
    kind: 'ws',
    host,
    port: bound,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeHttp();
    },
  };
}
