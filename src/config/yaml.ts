/**
 * YAML as the registry's gopkg.in/yaml.v2 reads it, as far as config values go: YAML 1.2's
 * core schema (so `e2`, `.` or `2024-01-01` stay strings, where the `yaml` package's 1.1 schema
 * would turn them into NaN or a Date) plus YAML 1.1's boolean words (yes/no/on/off/y/n), which
 * yaml.v2 accepts for a `disabled: yes`, and `<<` merge keys.
 */
import { parse } from 'yaml';
import type { ScalarTag } from 'yaml';

const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;

const yaml11Bool: ScalarTag = {
  identify: (v) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: new RegExp(`${TRUE.source}|${FALSE.source}`),
  resolve: (s) => TRUE.test(s),
};

/** Parse one YAML document the way the registry would read its config values. */
export function parseGoYaml(text: string): unknown {
  return parse(text, {
    schema: 'core',
    merge: true,
    customTags: (tags) => [yaml11Bool, ...tags],
  }) as unknown;
}
