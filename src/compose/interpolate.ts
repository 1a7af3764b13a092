// Variable interpolation as Compose does it: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+replacement}, ${VAR+replacement}, and $$ for a
// literal dollar. Defaults may themselves hold variables (${A:-${B}}), as in Compose v2.
// Only values are interpolated, never keys (Compose does the same).

export type Lookup = (name: string) => string | undefined;
export type Interpolated = { ok: true; value: string; unset: string[] } | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const ESCAPE_HINT = 'write $$ for a literal "$"';

export function interpolateString(input: string, lookup: Lookup): Interpolated {
  const unset: string[] = [];
  let out = '';
  let at = 0;
  while (at < input.length) {
    const dollar = input.indexOf('$', at);
    if (dollar === -1) {
      out += input.slice(at);
      break;
    }
    out += input.slice(at, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      at = dollar + 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(input, dollar + 2);
      if (close === -1) {
        return { ok: false, message: `"\${" at character ${dollar + 1} is never closed by "}"` };
      }
      const resolved = resolveBraced(input.slice(dollar + 2, close), lookup);
      if (!resolved.ok) return resolved;
      out += resolved.value;
      unset.push(...resolved.unset);
      at = close + 1;
      continue;
    }
    const name = NAME.exec(input.slice(dollar + 1))?.[0];
    if (name === undefined) {
      return {
        ok: false,
        message: `invalid interpolation format at "${input.slice(dollar, dollar + 5)}"; ${ESCAPE_HINT}`,
      };
    }
    const value = lookup(name);
    if (value === undefined) unset.push(name);
    out += value ?? '';
    at = dollar + 1 + name.length;
  }
  return { ok: true, value: out, unset };
}

/** Index of the "}" closing a "${" whose body starts at `from`, skipping nested "${…}" and "$$". */
function matchingBrace(input: string, from: number): number {
  let depth = 1;
  for (let i = from; i < input.length; i++) {
    const c = input[i];
    if (c === '$' && input[i + 1] === '$') i++;
    else if (c === '$' && input[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function resolveBraced(body: string, lookup: Lookup): Interpolated {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) {
    return { ok: false, message: `"\${${body}}" does not start with a variable name; ${ESCAPE_HINT}` };
  }
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return { ok: true, value: value ?? '', unset: value === undefined ? [name] : [] };
  const operator = /^(:?[-?+])/.exec(rest)?.[1];
  if (operator === undefined) {
    return { ok: false, message: `"\${${body}}" has an unknown operator; use :-, -, :?, ?, :+ or +` };
  }
  const operand = () => interpolateString(rest.slice(operator.length), lookup);
  const empty = value === undefined || value === '';
  switch (operator) {
    case ':-':
      return empty ? operand() : { ok: true, value: value ?? '', unset: [] };
    case '-':
      return value === undefined ? operand() : { ok: true, value, unset: [] };
    case ':+':
      return empty ? { ok: true, value: '', unset: [] } : operand();
    case '+':
      return value === undefined ? { ok: true, value: '', unset: [] } : operand();
    default: {
      // ":?" and "?": the variable is required.
      if (operator === '?' ? value !== undefined : !empty) return { ok: true, value: value ?? '', unset: [] };
      const message = operand();
      const why = message.ok && message.value !== '' ? `: ${message.value}` : '';
      return {
        ok: false,
        message: `required variable "${name}" is ${value === undefined ? 'not set' : 'empty'}${why}`,
      };
    }
  }
}
