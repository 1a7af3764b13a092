// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/compose/dotenv.js';
import { interpolateString } from '../../../src/compose/interpolate.js';
import { shellSplit } from '../../../src/compose/shell-split.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', NESTED: 'inner' };
const lookup = (name: string): string | undefined => env[name];
const value = (input: string): string => {
  const result = interpolateString(input, lookup);
  if (!result.ok) throw new Error(result.message);
  return result.value;
};

describe('interpolateString', () => {
  it.each([
    ['${SET}', 'value'],
    ['$SET', 'value'],
    ['a-$SET-b', 'a-value-b'],
    ['${SET}x', 'valuex'],
    ['${UNSET:-default}', 'default'],
    ['${EMPTY:-default}', 'default'],
    ['${SET:-default}', 'value'],
    ['${UNSET-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${SET:+replaced}', 'replaced'],
    ['${EMPTY:+replaced}', ''],
    ['${EMPTY+replaced}', 'replaced'],
    ['${UNSET+replaced}', ''],
    ['${UNSET:-${NESTED}}', 'inner'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['price: $$5', 'price: $5'],
    ['${SET:?must be set}', 'value'],
    ['${EMPTY?may be empty}', ''],
    ['no variables', 'no variables'],
    ['${UNSET:-a:b/c}', 'a:b/c'],
  ])('%s → %j', (input, expected) => {
    expect(value(input)).toBe(expected);
  });

  it('reports unset variables that have no default, so the loader can warn', () => {
    expect(interpolateString('${A}-$B-${C:-c}', lookup)).toEqual({
      ok: true,
      value: '--c',
      unset: ['A', 'B'],
    });
  });

  it.each([
    ['${UNSET:?give it a value}', 'required variable "UNSET" is not set: give it a value'],
    ['${EMPTY:?give it a value}', 'required variable "EMPTY" is empty: give it a value'],
    ['${UNSET?}', 'required variable "UNSET" is not set'],
    ['${SET', 'is never closed'],
    ['${}', 'does not start with a variable name'],
    ['${1X}', 'does not start with a variable name'],
    ['${SET*x}', 'unknown operator'],
    ['cost $5', 'write $$ for a literal "$"'],
    ['trailing $', 'write $$ for a literal "$"'],
  ])('refuses %j', (input, message) => {
    const result = interpolateString(input, lookup);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it('leaves text without "$" unchanged, and "$$"-escaped text as it was before escaping', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(
          interpolateString(
            text.replaceAll('$', () => '$$'),
            lookup,
          ),
        ).toEqual({ ok: true, value: text, unset: [] });
      }),
    );
  });
});

describe('parseDotenv', () => {
  it('reads KEY=value lines with comments, quotes, export and interpolation', () => {
    const text = [
      '# comment',
      '',
      'PLAIN=hello',
      'SPACED = padded  # trailing comment',
      'export EXPORTED=yes',
      "SINGLE='$NOT ${INTERPOLATED} # kept'",
      'DOUBLE="line1\\nline2 ${PLAIN}"',
      'HASH=a#b',
      'REF=${PLAIN}-${FROM_ENV}',
      'EMPTY=',
      'MULTI="first',
      'second"',
      'BARE_FROM_ENV',
      'BARE_MISSING',
    ].join('\n');
    const out = parseDotenv('/p/.env', text, (name) => ({ FROM_ENV: 'env', BARE_FROM_ENV: 'bare' })[name]);
    expect(out).toEqual({
      PLAIN: 'hello',
      SPACED: 'padded',
      EXPORTED: 'yes',
      SINGLE: '$NOT ${INTERPOLATED} # kept',
      DOUBLE: 'line1\nline2 hello',
      HASH: 'a#b',
      REF: 'hello-env',
      EMPTY: '',
      MULTI: 'first\nsecond',
      BARE_FROM_ENV: 'bare',
    });
  });

  it('names the file and line of a bad line', () => {
    expect(() => parseDotenv('/p/.env', 'OK=1\nnot a line\n', () => undefined)).toThrow(
      expect.objectContaining({
        code: 'ALICIA_ERR_COMPOSE_INVALID',
        details: { file: '/p/.env', path: '', line: 2, column: 1 },
      }),
    );
  });

  it('names the file and line of an unclosed quote and of a missing required variable', () => {
    expect(() => parseDotenv('/p/.env', 'A="open\n', () => undefined)).toThrow(
      /\/p\/\.env:1:1: A: the double quote is never closed/,
    );
    expect(() => parseDotenv('/p/.env', 'A=1\nB=${NOPE:?set NOPE}', () => undefined)).toThrow(
      expect.objectContaining({
        code: 'ALICIA_ERR_COMPOSE_INTERPOLATION',
        details: expect.objectContaining({ line: 2 }),
      }),
    );
  });
});

describe('shellSplit', () => {
  it.each([
    ['redis-server --appendonly yes', ['redis-server', '--appendonly', 'yes']],
    ['echo "hello world"', ['echo', 'hello world']],
    ["sh -c 'echo $HOME && ls'", ['sh', '-c', 'echo $HOME && ls']],
    ['a\\ b c', ['a b', 'c']],
    ['say "a \\"quoted\\" word"', ['say', 'a "quoted" word']],
    ['empty "" arg', ['empty', '', 'arg']],
    ['  spaced   out  ', ['spaced', 'out']],
    ['', []],
    ["'it'\\''s'", ["it's"]],
  ])('%j → %j', (input, words) => {
    expect(shellSplit(input)).toEqual({ ok: true, words });
  });

  it('refuses unclosed quotes and a trailing backslash', () => {
    expect(shellSplit('echo "open')).toEqual({ ok: false, message: 'the double quote is never closed' });
    expect(shellSplit("echo 'open")).toEqual({ ok: false, message: 'the single quote is never closed' });
    expect(shellSplit('echo \\')).toEqual({ ok: false, message: 'it ends with a lone backslash' });
  });
});
