/**
 * YAML as the registry's gopkg.in/yaml.v2 reads it. Two readings of one parse:
 * - regnotify's own sections (read by convict) get plain JS values: YAML 1.2's core schema (so
 *   `e2` or `2024-01-01` stay strings) plus YAML 1.1's booleans (yes/no/on/off/y/n) and `<<`;
 * - the registry's `notifications:` section keeps each scalar's text (a quoted or block scalar
 *   is a string, any other a GoScalar) and leaves the typing to the Go field it lands in, as
 *   yaml.v2 does (see ./go-scalar.ts): a header `[0x1F]` must be sent as `0x1F`, not `31`.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Scalar, ScalarTag } from 'yaml';
import { RegnotifyError } from '../../errors.js';
import { setOwn, YAML11_BOOLS } from '../raw.js';
import type { RawMap } from '../raw.js';
import { GoScalar, isNullText } from './go-scalar.js';
import type { GoTag } from './go-scalar.js';

const yaml11Bool: ScalarTag = {
  identify: (v) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: new RegExp(`^(?:${[...YAML11_BOOLS.keys()].join('|')})$`),
  resolve: (s) => YAML11_BOOLS.get(s) === true,
};

/** yaml.v2 expands aliases too; past this many nodes a document is an alias bomb. */
const MAX_NODES = 100_000;
const GO_TAGS: ReadonlySet<string> = new Set('null bool int float timestamp binary'.split(' '));
const STD_TAG = 'tag:yaml.org,2002:';

function parseDoc(text: string): Document.Parsed {
  const doc = parseDocument(text, {
    schema: 'core',
    merge: true,
    customTags: (tags) => [yaml11Bool, ...tags],
    logLevel: 'silent', // unknown tags are warnings; the readers judge the values themselves
  });
  const [first] = doc.errors;
  if (first) throw first;
  return doc;
}

/** A structure yaml.v2 refuses, at `path` inside the parsed value ('' = the value itself). */
export class YamlStructureError extends RegnotifyError {
  constructor(path: string, problem: string) {
    const where = path.replace(/^\./, '');
    super('ERR_YAML_STRUCTURE', where ? `${where}: ${problem}` : problem);
  }
}

interface Walk {
  doc: Document.Parsed;
  nodes: number;
}

function scalarToGo(node: Scalar): unknown {
  const text = node.source ?? String(node.value);
  const tag = node.tag;
  if (tag === undefined) {
    if (node.type !== 'PLAIN') return text; // quoted and block scalars are strings
    return isNullText(text) ? null : new GoScalar(text);
  }
  const name = tag.startsWith(STD_TAG) ? tag.slice(STD_TAG.length) : '';
  if (name === 'null' && isNullText(text)) return null;
  // `!!str`, `!` and unknown tags: yaml.v2 gives a string field the text, and nothing else.
  return GO_TAGS.has(name) ? new GoScalar(text, name as GoTag) : text;
}

/** A map key as yaml.v2 decodes it into a string (a struct field name, a header name). */
function keyText(node: unknown, path: string, w: Walk): string {
  const key = isAlias(node) ? node.resolve(w.doc) : node;
  if (key === null || key === undefined) return '';
  if (!isScalar(key)) throw new YamlStructureError(path, 'a map key must be a scalar');
  const value = scalarToGo(key);
  return value === null ? '' : String(value);
}

function isMergeKey(node: unknown): boolean {
  return isScalar(node) && node.type === 'PLAIN' && node.tag === undefined && node.source === '<<';
}

/**
 * The entries of a YAML map, `<<` merges included, in yaml.v2's order: it decodes the pairs one
 * after the other into the same Go value, so a later key (merged or not) replaces an earlier.
 */
function entries(node: unknown, path: string, w: Walk, into = new Map<string, unknown>()) {
  const map = isAlias(node) ? node.resolve(w.doc) : node;
  if (!isMap(map)) throw new YamlStructureError(path, 'a << merge needs a map or a list of maps');
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) {
      into.set(keyText(pair.key, path, w), pair.value);
      continue;
    }
    const source = isAlias(pair.value) ? pair.value.resolve(w.doc) : pair.value;
    // In a list of maps the earlier ones win, so they are decoded last.
    const maps = isSeq(source) ? [...source.items].reverse() : [source];
    for (const m of maps) entries(m, path, w, into);
  }
  return into;
}

/** A node as yaml.v2 would see it before it knows the Go type: strings, GoScalars, null… */
function toGo(node: unknown, path: string, w: Walk): unknown {
  if (++w.nodes > MAX_NODES) throw new YamlStructureError(path, `more than ${MAX_NODES} nodes`);
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toGo(node.resolve(w.doc), path, w);
  if (isScalar(node)) return scalarToGo(node);
  if (isSeq(node)) return node.items.map((item, i) => toGo(item, `${path}[${i}]`, w));
  const out: RawMap = {};
  for (const [key, value] of entries(node, path, w))
    setOwn(out, key, toGo(value, `${path}.${key}`, w));
  return out;
}

/**
 * Parse a config file: regnotify's sections as plain JS values, `notifications` as yaml.v2
 * would see it (strings, GoScalars, null, lists and maps).
 */
export function parseGoYaml(text: string): unknown {
  const doc = parseDoc(text);
  const js = doc.toJS() as unknown;
  if (!isMap(doc.contents) || typeof js !== 'object' || js === null) return js;
  const w: Walk = { doc, nodes: 0 };
  const top = entries(doc.contents, '', w);
  if (!top.has('notifications')) return js;
  return { ...js, notifications: toGo(top.get('notifications'), 'notifications', w) };
}

/** Parse one REGISTRY_NOTIFICATIONS_* value, as the registry unmarshals it into its field. */
export function parseGoYamlValue(text: string): unknown {
  const doc = parseDoc(text);
  return toGo(doc.contents, '', { doc, nodes: 0 });
}
