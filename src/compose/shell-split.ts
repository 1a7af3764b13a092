// Splits a `command`/`entrypoint` string into words the way Compose does (go-shellwords
// without variable or backtick expansion): whitespace separates, quotes group, a backslash
// escapes the next character outside single quotes.

export type Split = { ok: true; words: string[] } | { ok: false; message: string };

export function shellSplit(input: string): Split {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  let escaped = false;
  for (const c of input) {
    if (escaped) {
      word += c;
      escaped = false;
      inWord = true;
      continue;
    }
    if (c === '\\' && quote !== "'") {
      escaped = true;
      inWord = true;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    word += c;
    inWord = true;
  }
  if (quote) {
    return { ok: false, message: `the ${quote === '"' ? 'double' : 'single'} quote is never closed` };
  }
  if (escaped) return { ok: false, message: 'it ends with a lone backslash' };
  if (inWord) words.push(word);
  return { ok: true, words };
}
