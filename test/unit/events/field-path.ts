/**
 * Judges the `field` of an EnvelopeError against the body it was thrown for, independently of
 * the parser: JSON.parse gives the value, and the field must lead to a place in it.
 */

/** The parser's nesting limit (src/events/jsontree.ts): deeper bodies are refused as `body`. */
const MaxDepth = 1_000;

/** Why `field` does not name a place in `text`, or undefined when it does. */
export function fieldProblem(field: string, text: string): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return field === 'body' ? undefined : `field ${field} for a body that is not JSON`;
  }
  const isObject = typeof root === 'object' && root !== null && !Array.isArray(root);
  if (field === 'body') {
    if (!isObject || depthOf(text) > MaxDepth) return undefined;
    return 'field "body" for a JSON object within the nesting limit';
  }
  if (!isObject) return `field ${field} for a body that is not a JSON object`;
  if (field === 'events') return undefined;
  if (!field.startsWith('events[')) return `field ${field} does not start with events[`;
  const events = (root as { events?: unknown }).events;
  return leadsTo(events, field.slice('events'.length))
    ? undefined
    : `field ${field} leads nowhere in the body`;
}

/**
 * True when `rest` (`[2].target.size`, …) walks from `node` through existing members to an
 * existing place or to a missing member of an existing object. Keys may contain `.` or `[`
 * (`os.version`, annotation keys), so every split is tried.
 */
function leadsTo(node: unknown, rest: string): boolean {
  if (rest === '') return true;
  if (rest.startsWith('[')) {
    const m = /^\[(\d+)\]/.exec(rest);
    if (m === null || !Array.isArray(node)) return false;
    const i = Number(m[1]);
    return i < node.length && leadsTo(node[i], rest.slice(m[0].length));
  }
  if (!rest.startsWith('.') || typeof node !== 'object' || node === null) return false;
  const path = rest.slice(1);
  for (const [k, v] of Object.entries(node)) {
    if (path === k) return true;
    const next = path[k.length];
    if (path.startsWith(k) && (next === '.' || next === '[') && leadsTo(v, path.slice(k.length)))
      return true;
  }
  // A member that is missing (a required field): its object is the place.
  return !Array.isArray(node);
}

/** The deepest nesting of arrays and objects in the text (repeated keys count too). */
function depthOf(text: string): number {
  let max = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}
