import { EnvelopeError } from '../errors.js';
import { compactNode } from './gojson.js';
import type { JsonNode } from './jsontree.js';
import { bindExtraFields } from './rawcache.js';

/**
 * One JSON object of an incoming event, split into the members the schema knows (last duplicate
 * wins, as in Go's decoder) and the rest, with typed, validating getters. Errors name the
 * member's path (`events[0].target.size`) and, when a value was there, show it.
 */

export class Members {
  private readonly known = new Map<string, JsonNode>();
  private readonly extras = new Map<string, JsonNode>();

  constructor(
    node: JsonNode | undefined,
    readonly path: string,
    knownKeys: readonly string[],
  ) {
    if (node?.kind !== 'object') throw invalid(path, 'must be an object', node);
    for (const [k, v] of node.entries) {
      (knownKeys.includes(k) ? this.known : this.extras).set(k, v);
    }
  }

  /** A present, non-null member. */
  get(key: string): JsonNode | undefined {
    const v = this.known.get(key);
    return v?.kind === 'literal' && v.text === 'null' ? undefined : v;
  }

  str(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (v.kind !== 'string') throw invalid(`${this.path}.${key}`, 'must be a string', v);
    return v.value;
  }

  int(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const n = v.kind === 'number' && /^(?:0|[1-9][0-9]*)$/.test(v.text) ? Number(v.text) : -1;
    if (!Number.isSafeInteger(n) || n < 0)
      throw invalid(`${this.path}.${key}`, 'must be a non-negative integer', v);
    return n;
  }

  strings(key: string): string[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (v.kind !== 'array' || v.items.some((x) => x.kind !== 'string')) {
      throw invalid(`${this.path}.${key}`, 'must be an array of strings', v);
    }
    return v.items.map((x) => (x.kind === 'string' ? x.value : ''));
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (v.kind !== 'object')
      throw invalid(`${this.path}.${key}`, 'must be an object of strings', v);
    const out: Record<string, string> = {};
    for (const [k, x] of v.entries) {
      if (x.kind !== 'string') throw invalid(`${this.path}.${key}.${k}`, 'must be a string', x);
      define(out, k, x.value);
    }
    return out;
  }

  /** Copy the unknown members onto `obj` (typed view) and bind their compact text. */
  keepExtras<T extends object>(obj: T): T {
    const texts = new Map<string, string>();
    for (const [k, v] of this.extras) {
      define(obj, k, plain(v));
      texts.set(k, compactNode(v));
    }
    bindExtraFields(obj, texts);
    return obj;
  }
}

/** The JS value of a node the schema does not describe (numbers lose their text here only). */
function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'number':
      return Number(node.text);
    case 'literal':
      return node.text === 'null' ? null : node.text === 'true';
    case 'array':
      return node.items.map(plain);
    case 'object': {
      const out = {};
      for (const [k, v] of node.entries) define(out, k, plain(v));
      return out;
    }
  }
}

/** Own data property, even for a key like `__proto__` (plain assignment would set the prototype). */
export function define(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function invalid(field: string, problem: string, got: JsonNode | undefined): EnvelopeError {
  if (got === undefined) return new EnvelopeError(field, problem);
  const text = compactNode(got);
  return new EnvelopeError(
    field,
    `${problem}, got ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`,
  );
}
