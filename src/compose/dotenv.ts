// `.env` and `env_file` files: KEY=VALUE lines, `#` comments, optional `export `, single
// quotes taken literally, double quotes with \n \t \" \\ escapes and variables, unquoted
// values trimmed, with " #…" comments cut and variables interpolated (Compose v2 rules).
import { composeError } from './diagnostics.js';
import { interpolateString, type Lookup } from './interpolate.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses one env file. `lookup` resolves variables that the file does not define itself;
 * variables defined on earlier lines are visible to later ones.
 */
export function parseDotenv(file: string, text: string, lookup: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  const resolve: Lookup = (name) => lookup(name) ?? out[name];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = (lines[index] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice('export '.length).trimStart() : line;
    const eq = body.indexOf('=');
    const key = (eq === -1 ? body : body.slice(0, eq)).trim();
    const where = { file, path: key, location: { line: lineNumber, column: 1 } };
    if (!KEY.test(key)) {
      throw composeError(
        'ALICIA_ERR_COMPOSE_INVALID',
        { ...where, path: '' },
        `"${line}" is not a KEY=value line`,
      );
    }
    // A bare KEY takes its value from the environment, if set there.
    if (eq === -1) {
      const value = lookup(key);
      if (value !== undefined) out[key] = value;
      continue;
    }
    let raw = body.slice(eq + 1).trimStart();
    const quote = raw[0];
    if (quote === "'" || quote === '"') {
      // Quoted values may span lines.
      let close = findClosingQuote(raw, quote);
      while (close === -1 && index + 1 < lines.length) {
        index++;
        raw += `\n${lines[index] ?? ''}`;
        close = findClosingQuote(raw, quote);
      }
      if (close === -1) {
        throw composeError(
          'ALICIA_ERR_COMPOSE_INVALID',
          where,
          `the ${quote === '"' ? 'double' : 'single'} quote is never closed`,
        );
      }
      const inner = raw.slice(1, close);
      out[key] = quote === "'" ? inner : interpolate(where, unescapeDoubleQuoted(inner), resolve);
      continue;
    }
    const comment = raw.search(/\s#/);
    out[key] = interpolate(where, (comment === -1 ? raw : raw.slice(0, comment)).trim(), resolve);
  }
  return out;
}

function findClosingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === 'n') return '\n';
    if (c === 't') return '\t';
    if (c === 'r') return '\r';
    return c;
  });
}

function interpolate(
  where: { file: string; path: string; location: { line: number; column: number } },
  value: string,
  lookup: Lookup,
): string {
  const result = interpolateString(value, lookup);
  if (!result.ok) throw composeError('ALICIA_ERR_COMPOSE_INTERPOLATION', where, result.message);
  return result.value;
}
