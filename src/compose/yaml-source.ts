// Reads one Compose file's YAML: the plain value, a way to find any key's line and column,
// and the `!reset` / `!override` tags Compose v2 allows on service attributes.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { composeError, type KeyPath, type Locate, type Location } from './diagnostics.js';

export type MergeTag = 'reset' | 'override';

export interface YamlSource {
  readonly file: string;
  /** The document as plain data (null for an empty file). */
  readonly value: unknown;
  readonly locate: Locate;
  /** `services.<name>.<key>` tagged `!reset` or `!override`, keyed "<name>\0<key>". */
  readonly tags: ReadonlyMap<string, MergeTag>;
}

export function tagKey(service: string, key: string): string {
  return `${service}\0${key}`;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // Compose files commonly share settings with `<<: *anchor`.
    merge: true,
  });
  const at = (offset: number): Location => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const first = doc.errors[0];
  if (first) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_YAML',
      { file, path: '', location: at(first.pos[0]) },
      `${first.message.split('\n')[0]}`,
      first,
    );
  }
  const tags = collectTags(doc, file, at);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_YAML',
      { file, path: '', location: at(0) },
      err instanceof Error ? err.message : String(err),
      err,
    );
  }
  for (const [key, tag] of tags) {
    const [service = '', attribute = ''] = key.split('\0');
    // A reset attribute is removed whatever value it was given.
    if (tag === 'reset') setIn(value, ['services', service, attribute], null);
  }
  return { file, value, tags, locate: (path) => locate(doc, path, at) };
}

/** Finds `path` in the document: the key's position, or the nearest ancestor's. */
function locate(doc: Document, path: KeyPath, at: (offset: number) => Location): Location | undefined {
  let node: unknown = doc.contents;
  let found: Location | undefined = rangeStart(node, at);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return found;
      found = rangeStart(pair.key, at) ?? rangeStart(pair.value, at) ?? found;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      found = rangeStart(node, at) ?? found;
    } else {
      return found;
    }
  }
  return found;
}

function rangeStart(node: unknown, at: (offset: number) => Location): Location | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    if (range) return at(range[0]);
  }
  return undefined;
}

/** Accepts the merge tags on `services.<name>.<key>` only and reports them anywhere else. */
function collectTags(doc: Document, file: string, at: (offset: number) => Location): Map<string, MergeTag> {
  const tags = new Map<string, MergeTag>();
  const services = isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
  const accepted = new Set<unknown>();
  if (isMap(services)) {
    for (const servicePair of services.items) {
      if (!isScalar(servicePair.key) || !isMap(servicePair.value)) continue;
      for (const pair of servicePair.value.items) {
        const tag = mergeTag(pair.value);
        if (tag && isScalar(pair.key)) {
          tags.set(tagKey(String(servicePair.key.value), String(pair.key.value)), tag);
          accepted.add(pair.value);
        }
      }
    }
  }
  const stray = findTagged(doc.contents, accepted);
  if (stray) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      { file, path: '', location: rangeStart(stray, at) },
      `"${String((stray as Node).tag)}" is supported on a service's attributes only (services.<name>.<key>)`,
    );
  }
  return tags;
}

function mergeTag(node: unknown): MergeTag | undefined {
  const tag = node && typeof node === 'object' && 'tag' in node ? (node as Node).tag : undefined;
  if (tag === '!reset') return 'reset';
  if (tag === '!override') return 'override';
  return undefined;
}

function findTagged(node: unknown, accepted: ReadonlySet<unknown>): unknown {
  if (mergeTag(node) && !accepted.has(node)) return node;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      const hit = isPair(item)
        ? (findTagged(item.key, accepted) ?? findTagged(item.value, accepted))
        : findTagged(item, accepted);
      if (hit) return hit;
    }
  }
  return undefined;
}

function setIn(root: unknown, path: readonly string[], value: unknown): void {
  let node = root;
  for (const [index, segment] of path.entries()) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    if (index === path.length - 1) {
      if (segment in record) record[segment] = value;
      return;
    }
    node = record[segment];
  }
}
