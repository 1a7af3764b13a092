// The last lines a container wrote, for a crash loop's report: Docker's log API with `tail`.
import type Dockerode from 'dockerode';
import { dockerError, statusOf } from './docker-inspect.js';

/** Longest line kept (characters): the report's schema caps each at 2,000. */
const MAX_LINE = 2_000;

/**
 * Docker multiplexes stdout and stderr of a container without a TTY into frames: an 8-byte
 * header (stream, 0, 0, 0, big-endian length) then the bytes. A TTY container's log is raw.
 */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const framed = (stream === 0 || stream === 1 || stream === 2) && buffer.readUIntBE(offset + 1, 3) === 0;
    if (!framed) return buffer.toString('utf8');
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset < buffer.length && parts.length === 0) return buffer.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** Splits log text into at most `tail` lines, oldest first, each cut to MAX_LINE. */
export function logLines(text: string, tail: number): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-tail).map((line) => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line));
}

/** The container's last `tail` lines (stdout and stderr); [] when it has none or is gone. */
export async function containerLogTail(docker: Dockerode, idOrName: string, tail: number): Promise<string[]> {
  try {
    const raw = (await docker
      .getContainer(idOrName)
      .logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer | string;
    const buffer = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    return logLines(demuxLogs(buffer), tail);
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw dockerError(err, `read the logs of container ${idOrName}`);
  }
}
