// Docker's multiplexed log stream -> lines, as a crash loop's report carries them.
import { describe, expect, it } from 'vitest';
import { demuxLogs, logLines } from '../../../agents/runtime/docker-logs.js';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
};

describe('container log tail', () => {
  it('joins stdout and stderr frames in order; a TTY log (no frames) is taken as it is', () => {
    const muxed = Buffer.concat([frame(1, 'starting\n'), frame(2, 'bind: Address in use\n')]);
    expect(demuxLogs(muxed)).toBe('starting\nbind: Address in use\n');
    expect(demuxLogs(Buffer.from('plain tty output\n'))).toBe('plain tty output\n');
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
  });

  it('keeps the last `tail` lines, without the trailing empty one, each cut at 2,000 characters', () => {
    expect(logLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(logLines('a\r\nb', 5)).toEqual(['a', 'b']);
    expect(logLines(`${'x'.repeat(2_500)}\n`, 1)[0]).toHaveLength(2_000);
  });
});
