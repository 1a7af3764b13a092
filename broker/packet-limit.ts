// Max packet size for aedes 1.x, which has no such option: a stream between the socket and
// aedes reads each MQTT fixed header ([MQTT-2.2]: type byte, then the remaining length as a
// 1-4 byte varint) and cuts the connection as soon as a header announces a packet larger
// than the limit — before its body is buffered. Mosquitto's max_packet_size does the same
// for MQTT 3.1.1 clients (disconnect).
import { Duplex } from 'node:stream';

export type ScanResult = { ok: true } | { ok: false; size: number; reason: string };

/** Tracks packet boundaries across chunks. */
export class PacketScanner {
  private phase: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  feed(chunk: Uint8Array): ScanResult {
    let i = 0;
    while (i < chunk.byteLength) {
      if (this.phase === 'type') {
        i += 1;
        this.phase = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.phase === 'length') {
        const byte = chunk[i] ?? 0;
        i += 1;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (byte & 0x80) {
          // [MQTT-2.2.3] the remaining length takes at most four bytes.
          if (this.lengthBytes >= 4) return { ok: false, size: -1, reason: 'malformed remaining length' };
          continue;
        }
        const size = 1 + this.lengthBytes + this.length;
        if (size > this.maxPacketBytes) {
          return {
            ok: false,
            size,
            reason: `packet of ${size} bytes exceeds the limit of ${this.maxPacketBytes}`,
          };
        }
        this.remaining = this.length;
        this.phase = this.remaining > 0 ? 'body' : 'type';
      } else {
        const take = Math.min(this.remaining, chunk.byteLength - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'type';
      }
    }
    return { ok: true };
  }
}

/**
 * Wraps a connection so aedes reads through a PacketScanner. Writes go straight to the
 * socket; destroying the wrapper destroys the socket.
 */
export function limitPackets(
  socket: Duplex,
  maxPacketBytes: number,
  onRefused: (result: { size: number; reason: string }) => void,
): Duplex {
  const scanner = new PacketScanner(maxPacketBytes);
  const limited = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const result = scanner.feed(chunk);
    if (!result.ok) {
      onRefused(result);
      socket.pause();
      limited.destroy(new Error(result.reason));
      return;
    }
    if (!limited.push(chunk)) socket.pause();
  });
  socket.on('end', () => limited.push(null));
  socket.on('error', (err) => limited.destroy(err));
  socket.on('close', () => limited.destroy());
  return limited;
}
