/**
 * The registry's environment overrides for its `notifications:` section (docs/compatibility.md §7):
 * REGISTRY_NOTIFICATIONS_ + upper-cased Go FIELD names (EVENTCONFIG, not `events`), '_'-joined;
 * a list index may equal the current length to append; every value is parsed as YAML into the
 * field, as the registry does with yaml.v2 (so `NAME=y` is the name "y", `THRESHOLD=0x10` is
 * 16). Applied to the raw section before it is parsed, so the values get exactly the same checks
 * as the file's; `provenance` lets an error name the variable instead.
 */
import { ConfigError, toError } from '../../errors.js';
import { ENDPOINT_KEYS, SECTION_KEYS } from './keys.js';
import type { NotificationKey } from './keys.js';
import { isMap } from '../raw.js';
import type { RawMap } from '../raw.js';
import { parseGoYamlValue } from './yaml.js';

const PREFIX = 'REGISTRY_NOTIFICATIONS';

/** A Go struct: upper-cased field name → the field's YAML key and what it holds. */
type Struct = Map<string, { key: string; holds: Field }>;
type Field = 'value' | Struct | { list: Struct };

/**
 * The Go field tree of a key table: `ignore.actions` (IGNORE_ACTIONS) → IGNORE → ACTIONS, and
 * `events.includereferences` (EVENTCONFIG_INCLUDEREFERENCES) → EVENTCONFIG → INCLUDEREFERENCES.
 */
function structOf(keys: readonly NotificationKey[]): Struct {
  const root: Struct = new Map();
  for (const { key, field } of keys) {
    const names = field.split('_');
    let node = root;
    key.split('.').forEach((part, i, parts) => {
      const name = names[i] ?? part.toUpperCase();
      const holds = node.get(name)?.holds ?? (i === parts.length - 1 ? 'value' : new Map());
      node.set(name, { key: part, holds });
      if (holds instanceof Map) node = holds;
    });
  }
  return root;
}

const SECTION = structOf(SECTION_KEYS);
SECTION.set('ENDPOINTS', { key: 'endpoints', holds: { list: structOf(ENDPOINT_KEYS) } });

interface Walk {
  env: string;
  value: unknown;
  warnings: string[];
  provenance: Map<string, string>;
}

/** `node` (at `path`, of Go type `holds`) with the variable's value set at field path `segs`. */
function apply(node: unknown, holds: Field, segs: string[], path: string, w: Walk): unknown {
  const [seg, ...rest] = segs;
  if (seg === undefined) {
    w.provenance.set(path, w.env);
    return w.value;
  }
  if (holds === 'value') {
    // e.g. HEADERS_AUTHORIZATION: only whole values are taken (HEADERS as a YAML map).
    w.warnings.push(`${w.env}: ${path} is set as a whole (no field ${segs.join('_')}); ignored`);
    return node;
  }
  if (!(holds instanceof Map)) {
    if (!/^\d+$/.test(seg))
      throw new ConfigError(w.env, `invalid list index ${JSON.stringify(seg)}`);
    const list: unknown[] = Array.isArray(node) ? [...node] : [];
    const idx = Number(seg);
    if (idx > list.length) {
      const why = `${path} has ${list.length} entries (the index may equal the length to append)`;
      throw new ConfigError(w.env, `index ${idx} out of range: ${why}`);
    }
    list[idx] = apply(list[idx], holds.list, rest, `${path}[${idx}]`, w);
    return list;
  }
  const field = holds.get(seg);
  if (!field) {
    w.warnings.push(`${w.env}: unknown field ${seg} in ${path}; ignored`);
    return node;
  }
  const map = isMap(node) ? { ...node } : {};
  map[field.key] = apply(map[field.key], field.holds, rest, `${path}.${field.key}`, w);
  return map;
}

/** REGISTRY_NOTIFICATIONS_ENDPOINTS_10_X after ..._2_X: numeric segments compare as numbers. */
function compareSegments(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function parseValue(env: string, text: string): unknown {
  try {
    return parseGoYamlValue(text);
  } catch (err) {
    const firstLine = toError(err).message.split('\n')[0] ?? '';
    throw new ConfigError(env, `invalid YAML: ${firstLine}`, { cause: err });
  }
}

/**
 * Every REGISTRY_NOTIFICATIONS* variable of `env` applied to `section` (not modified), and
 * which variable set which key path (as errors name it).
 */
export function applyRegistryEnv(
  section: RawMap,
  env: Record<string, string | undefined>,
  warnings: string[],
): { section: RawMap; provenance: Map<string, string> } {
  const vars = Object.entries(env).flatMap(([name, text]) => {
    if (text === undefined || (name !== PREFIX && !name.startsWith(`${PREFIX}_`))) return [];
    return [{ name, text, segs: name === PREFIX ? [] : name.slice(PREFIX.length + 1).split('_') }];
  });
  vars.sort((a, b) => compareSegments(a.segs, b.segs));
  const provenance = new Map<string, string>();
  let current: unknown = section;
  for (const v of vars) {
    const w: Walk = { env: v.name, value: parseValue(v.name, v.text), warnings, provenance };
    current = apply(current, SECTION, v.segs, 'notifications', w);
  }
  if (!isMap(current)) throw new ConfigError(PREFIX, 'must be a YAML map');
  return { section: current, provenance };
}

/** Rename an error's key to the variable that supplied the value, if one did. */
export function attributeToEnv(
  err: ConfigError,
  provenance: ReadonlyMap<string, string>,
): ConfigError {
  const covers = (path: string): boolean =>
    err.key === path || err.key.startsWith(`${path}.`) || err.key.startsWith(`${path}[`);
  const best = [...provenance.keys()].filter(covers).sort((a, b) => b.length - a.length)[0];
  if (best === undefined) return err;
  const problem = err.message.slice(err.key.length + 2);
  const where = err.key === best ? '' : ` (at ${err.key})`;
  return new ConfigError(provenance.get(best) ?? err.key, `${problem}${where}`, { cause: err });
}
