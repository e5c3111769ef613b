/**
 * The configuration reference as a markdown table, generated from the schemas so the README
 * cannot drift from what the loader accepts.
 */
import { ENDPOINT_KEYS, SECTION_KEYS } from './registry/keys.js';
import { schemaLeaves } from './schema.js';

export interface SchemaDocRow {
  key: string;
  env: string;
  default: string;
  doc: string;
}

function showDefault(v: unknown): string {
  if (typeof v === 'string') return v === '' ? "''" : v;
  return JSON.stringify(v);
}

/** One row per configuration key, in schema order: regnotify's sections, then notifications. */
export function configSchemaRows(): SchemaDocRow[] {
  const own = schemaLeaves().map(([key, leaf]) => ({
    key,
    env: leaf.env,
    default: showDefault(leaf.default),
    doc: Array.isArray(leaf.format) ? `${leaf.doc} One of: ${leaf.format.join(', ')}.` : leaf.doc,
  }));
  const section = SECTION_KEYS.map((k) => ({
    key: `notifications.${k.key}`,
    env: `REGISTRY_NOTIFICATIONS_${k.field}`,
    default: k.default,
    doc: k.doc,
  }));
  const endpoint = ENDPOINT_KEYS.map((k) => ({
    key: `notifications.endpoints[].${k.key}`,
    env: `REGISTRY_NOTIFICATIONS_ENDPOINTS_<n>_${k.field}`,
    default: k.default,
    doc: k.registry ? k.doc : `${k.doc} (regnotify)`,
  }));
  return [...own, ...section, ...endpoint];
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Markdown table: key, environment variable, default, description. */
export function configSchemaDoc(): string {
  const lines = ['| key | env | default | doc |', '|---|---|---|---|'];
  for (const r of configSchemaRows()) {
    lines.push(
      `| \`${cell(r.key)}\` | \`${cell(r.env)}\` | \`${cell(r.default)}\` | ${cell(r.doc)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
