// Docker streams (events, pull progress) are JSON objects separated by newlines.

/**
 * Feeds every JSON object of `stream` to `onObject`; resolves when the stream ends, rejects
 * when it errors. A line that is not JSON is skipped (reported through `onBadLine`).
 */
export function readJsonLines(
  stream: NodeJS.ReadableStream,
  onObject: (value: unknown) => void,
  onBadLine: (line: string) => void = () => undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffer = '';
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      stream.removeListener('data', onData);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer | string) => {
      buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let at = buffer.indexOf('\n');
      while (at >= 0) {
        const line = buffer.slice(0, at).trim();
        buffer = buffer.slice(at + 1);
        if (line.length > 0) {
          let value: unknown;
          let parsed = false;
          try {
            value = JSON.parse(line);
            parsed = true;
          } catch {
            onBadLine(line);
          }
          if (parsed) onObject(value);
        }
        at = buffer.indexOf('\n');
      }
    };
    stream.on('data', onData);
    stream.once('error', (err: Error) => finish(err));
    stream.once('end', () => finish());
    stream.once('close', () => finish());
  });
}
