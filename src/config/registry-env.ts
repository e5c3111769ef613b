/**
 * The registry's environment overrides for its `notifications:` section (docs/compatibility.md §7):
 * REGISTRY_NOTIFICATIONS_ + upper-cased Go FIELD names (EVENTCONFIG, not `events`), '_'-joined;
 * a list index may equal the current length to append; every value is parsed as YAML into the
 * field, as the registry does with yaml.v2 (so `NAME=y` is the name "y", `THRESHOLD=0x10` is
 * 16). Applied to the raw section before it is parsed, so the values get exactly the same checks
 * as the file's; `provenance` lets an error name the variable instead.
 */
import { ConfigError, toError } from '../errors.js';
import { ENDPOINT_KEYS, SECTION_KEYS } from './endpoint-schema.js';
import type { NotificationKey } from './endpoint-schema.js';
import { isMap } from './values.js';
import { parseGoYamlValue } from './yaml.js';

const PREFIX = 'REGISTRY_NOTIFICATIONS';

type Struct = { kind: 'struct'; fields: Map<string, { key: string; spec: Spec }> };
type Spec = { kind: 'value' } | { kind: 'list'; item: Spec } | Struct;

/**
 * The Go field tree of a key table: `ignore.actions` (IGNORE_ACTIONS) → IGNORE → ACTIONS, and
 * `events.includereferences` (EVENTCONFIG_INCLUDEREFERENCES) → EVENTCONFIG → INCLUDEREFERENCES.
 */
function structOf(keys: readonly NotificationKey[]): Struct {
  const root: Struct = { kind: 'struct', fields: new Map() };
  for (const { key, field } of keys) {
    const parts = key.split('.');
    const names = field.split('_');
    let node = root;
    parts.forEach((part, i) => {
      const name = names[i] ?? part.toUpperCase();
      const last = i === parts.length - 1;
      let entry = node.fields.get(name);
      if (!entry) {
        entry = {
          key: part,
          spec: last ? { kind: 'value' } : { kind: 'struct', fields: new Map() },
        };
        node.fields.set(name, entry);
      }
      if (entry.spec.kind === 'struct') node = entry.spec;
    });
  }
  return root;
}

const SECTION_SPEC = structOf(SECTION_KEYS);
SECTION_SPEC.fields.set('ENDPOINTS', {
  key: 'endpoints',
  spec: { kind: 'list', item: structOf(ENDPOINT_KEYS) },
});

export interface RegistryEnvResult {
  /** The raw notifications section with the overrides applied (a new object). */
  section: Record<string, unknown>;
  /** Key path (as errors name it) → the variable that set it. */
  provenance: Map<string, string>;
}

interface Walk {
  env: string;
  value: unknown;
  warnings: string[];
  provenance: Map<string, string>;
}

function apply(node: unknown, spec: Spec, segs: string[], path: string, w: Walk): unknown {
  const [seg, ...rest] = segs;
  if (seg === undefined) {
    w.provenance.set(path, w.env);
    return w.value;
  }
  if (spec.kind === 'value') {
    // e.g. HEADERS_AUTHORIZATION: only whole values are taken (HEADERS as a YAML map).
    w.warnings.push(`${w.env}: ${path} is set as a whole (no field ${segs.join('_')}); ignored`);
    return node;
  }
  if (spec.kind === 'list') {
    const list = Array.isArray(node) ? [...(node as unknown[])] : [];
    if (!/^\d+$/.test(seg))
      throw new ConfigError(w.env, `invalid list index ${JSON.stringify(seg)}`);
    const idx = Number(seg);
    if (idx > list.length) {
      throw new ConfigError(
        w.env,
        `index ${idx} out of range: ${path} has ${list.length} entries (the index may equal the length to append)`,
      );
    }
    list[idx] = apply(list[idx], spec.item, rest, `${path}[${idx}]`, w);
    return list;
  }
  const map = isMap(node) ? { ...node } : {};
  const field = spec.fields.get(seg);
  if (!field) {
    w.warnings.push(`${w.env}: unknown field ${seg} in ${path}; ignored`);
    return node;
  }
  map[field.key] = apply(map[field.key], field.spec, rest, `${path}.${field.key}`, w);
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

/** Apply every REGISTRY_NOTIFICATIONS* variable of `env` to `section` (not modified). */
export function applyRegistryEnv(
  section: Record<string, unknown>,
  env: Record<string, string | undefined>,
  warnings: string[],
): RegistryEnvResult {
  const vars = Object.entries(env)
    .filter(
      (e): e is [string, string] =>
        e[1] !== undefined && (e[0] === PREFIX || e[0].startsWith(`${PREFIX}_`)),
    )
    .map(([name, text]) => ({
      name,
      text,
      segs: name === PREFIX ? [] : name.slice(PREFIX.length + 1).split('_'),
    }))
    .sort((a, b) => compareSegments(a.segs, b.segs));
  const provenance = new Map<string, string>();
  let current: unknown = section;
  for (const v of vars) {
    const w: Walk = { env: v.name, value: parseValue(v.name, v.text), warnings, provenance };
    current = apply(current, SECTION_SPEC, v.segs, 'notifications', w);
  }
  if (!isMap(current)) throw new ConfigError(PREFIX, 'must be a YAML map');
  return { section: current, provenance };
}

/** Rename an error's key to the variable that supplied the value, if one did. */
export function attributeToEnv(
  err: ConfigError,
  provenance: ReadonlyMap<string, string>,
): ConfigError {
  let best: string | undefined;
  for (const path of provenance.keys()) {
    const covers =
      err.key === path || err.key.startsWith(`${path}.`) || err.key.startsWith(`${path}[`);
    if (covers && (best === undefined || path.length > best.length)) best = path;
  }
  if (best === undefined) return err;
  const problem = err.message.slice(err.key.length + 2);
  const where = err.key === best ? '' : ` (at ${err.key})`;
  return new ConfigError(provenance.get(best) ?? err.key, `${problem}${where}`, { cause: err });
}
