// MQTT topic-filter algebra on topic levels, for ACL decisions. Pure: strings in, booleans out.
// [MQTT-4.7.1] `+` matches exactly one level, `#` matches the parent level and any number of
// child levels and must be last; [MQTT-4.7.2-1] a filter starting with a wildcard does not
// match topics starting with `$`.

/** A concrete topic a client may publish to: non-empty, no wildcards, no NUL. */
export function isValidTopic(topic: string): boolean {
  // [MQTT-1.5.3-2] U+0000 is never allowed in a topic.
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/** A subscription filter: `#` only as the whole last level, `+` only as a whole level. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

function isWildcard(level: string | undefined): boolean {
  return level === '+' || level === '#';
}

function dollarBlocked(a: string[], b: string[]): boolean {
  // A wildcard first level never reaches a `$` topic, whichever side holds it.
  const a0 = a[0] ?? '';
  const b0 = b[0] ?? '';
  return (isWildcard(a0) && b0.startsWith('$')) || (isWildcard(b0) && a0.startsWith('$'));
}

/** Does `filter` match the concrete `topic`? */
export function topicMatches(filter: string, topic: string): boolean {
  return filterCovers(filter, topic);
}

/** Is every topic matched by `inner` also matched by `outer`? (`inner` may be a concrete topic.) */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  // [MQTT-4.7.2-1] a wildcard-led filter never reaches a `$` topic.
  if (isWildcard(o[0]) && (n[0] ?? '').startsWith('$')) return false;
  for (let i = 0; i < o.length; i += 1) {
    const ol = o[i];
    const nl = n[i];
    if (ol === '#') return true;
    if (nl === undefined) return false;
    if (nl === '#') return false;
    if (ol === '+') continue;
    if (nl === '+' || ol !== nl) return false;
  }
  // Inner levels left over (or an inner `a/b/#` against outer `a/b`) reach topics outer
  // cannot; outer `a/b/#` covering inner `a/b` returned through the `#` branch above.
  return n.length === o.length;
}

/** Is there at least one topic that both filters match? */
export function filtersIntersect(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  if (dollarBlocked(x, y)) return false;
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i += 1) {
    const xl = x[i];
    const yl = y[i];
    if (xl === '#' || yl === '#') return true;
    if (xl === undefined || yl === undefined) return false;
    if (xl === '+' || yl === '+') continue;
    if (xl !== yl) return false;
  }
  return true;
}
