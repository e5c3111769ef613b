/**
 * Properties of the yaml.v2 reading of the notifications section (seeded, bounded): the text of
 * any plain scalar reaches a string field unchanged, from the file and from the environment;
 * integers written in any of Go's spellings reach an int field with their exact value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { parseNotifications } from '../../../src/config/registry/notifications.js';
import { GoScalar } from '../../../src/config/registry/go-scalar.js';
import { isMap } from '../../../src/config/raw.js';
import { readDurationNs, readInt, readString } from '../../../src/config/registry/values.js';
import { parseGoYaml } from '../../../src/config/registry/yaml.js';

const RUNS = { seed: 20_240_607, numRuns: 300 };
const NULL_WORDS = new Set(['~', 'null', 'Null', 'NULL']);

/** Words YAML 1.1 or 1.2 would read as something other than a string. */
const TRICKY = [
  ...['y', 'Y', 'n', 'N', 'yes', 'No', 'on', 'OFF', 'true', 'False', '~', 'null', 'NULL'],
  ...['0x1F', '0o17', '017', '08', '0b101', '1_000', '+5', '-0', '1.10', '1.', '.5', '1e3'],
  ...['.inf', '-.Inf', '.NaN', '12345678901234567890', '9007199254740993', '2024-01-01'],
];
// Characters a plain scalar may hold anywhere in a flow list, and those it may start with.
const INNER = [...'abcxyzABCXYZ0123456789._/+=~^$()<>;\\\'"!@%*&-?|`é中ß', ' ', ' '];
const FIRST = [...'abcyYnNoOtTfF0123456789.+=~^$(<;\\é中'];

const plainText = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc
    .tuple(fc.constantFrom(...FIRST), fc.string({ unit: fc.constantFrom(...INNER), maxLength: 30 }))
    .map(([first, rest]) => `${first}${rest}`.trimEnd()),
);

const expected = (text: string): string => (NULL_WORDS.has(text) ? '' : text);

function headersOf(yaml: string): Record<string, string[]> {
  const doc = parseGoYaml(yaml);
  const section = isMap(doc) ? doc['notifications'] : undefined;
  const settings = parseNotifications(section, [], () => '');
  return settings.endpoints[0]?.headers ?? {};
}

describe('string fields: the value read is the text written', () => {
  it('in a flow list, a block list, and a REGISTRY_NOTIFICATIONS_*_HEADERS value', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const head = 'notifications:\n  endpoints:\n    - name: a\n      url: http://a/x\n';
        const flow = headersOf(`${head}      headers:\n        X: [${text}]\n`);
        const block = headersOf(`${head}      headers:\n        X:\n          - ${text}\n`);
        const fromEnv = loadConfig({
          env: {
            REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
            REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a/x',
            REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: `{X: [${text}]}`,
          },
        }).config.notifications.endpoints[0]?.headers;
        expect(flow).toEqual({ X: [expected(text)] });
        expect(block).toEqual({ X: [expected(text)] });
        expect(fromEnv).toEqual({ X: [expected(text)] });
      }),
      RUNS,
    );
  });
});

/** A signed integer in one of the spellings strconv.ParseInt(s, 0, 64) takes, `_` sprinkled in. */
const spelledInt = fc
  .record({
    value: fc.bigInt({
      min: BigInt(Number.MIN_SAFE_INTEGER),
      max: BigInt(Number.MAX_SAFE_INTEGER),
    }),
    radix: fc.constantFrom<[string, number]>(
      ['', 10],
      ['0x', 16],
      ['0X', 16],
      ['0o', 8],
      ['0', 8],
      ['0b', 2],
      ['0B', 2],
    ),
    plus: fc.boolean(),
    underscores: fc.array(fc.nat({ max: 60 }), { maxLength: 3 }),
  })
  .map(({ value, radix: [prefix, base], plus, underscores }) => {
    const abs = value < 0n ? -value : value;
    let digits = `${prefix}${abs.toString(base)}`;
    // yaml.v2 drops every `_` before parsing; one at the very start would make it a string.
    for (const at of underscores) {
      const i = 1 + (at % digits.length);
      digits = `${digits.slice(0, i)}_${digits.slice(i)}`;
    }
    const sign = value < 0n ? '-' : plus ? '+' : '';
    return { value, text: `${sign}${digits}` };
  });

describe('int and duration fields: every Go spelling of an integer', () => {
  it('reads the exact value, and a string field keeps the spelling', () => {
    fc.assert(
      fc.property(spelledInt, ({ value, text }) => {
        const scalar = new GoScalar(text);
        expect(readInt(scalar, 'k')).toBe(Number(value));
        expect(readDurationNs(scalar, 'k')).toBe(Number(value));
        expect(readString(scalar, 'k')).toBe(text);
      }),
      RUNS,
    );
  });
});
