/**
 * Event ids that try to become Redis structure (issue 7, item 1; see src/queue/names.ts: data
 * never names structure): the key names BullMQ and regnotify keep beside a queue's jobs, and
 * their kin.
 */
import fc from 'fast-check';

/** Every key name BullMQ (6.7) keeps beside a queue's jobs, under `<prefix>:<queue>:`. */
export const BullMQKeyNames = [
  'wait', 'paused', 'meta', 'id', 'completed', 'failed', 'delayed', 'active', 'events', 'marker',
  'prioritized', 'pc', 'stalled', 'stalled-check', 'limiter', 'repeat', 'de', 'waiting-children',
  'metrics',
]; // prettier-ignore
/** regnotify's own keys under the same prefix (src/queue/names.ts). */
export const RegnotifyKeyNames = ['rn:breaker', 'rn:metrics', 'rn:dead'];

/**
 * Event ids chosen to collide with Redis structure: every BullMQ and regnotify key name, those
 * names with BullMQ's suffixes (`meta:x`, `x:lock`, `x:logs`), integer-like ids, ids with `:`,
 * braces (hash tags), spaces and unicode, an id spelled like another id's hashed job id, the
 * empty id, a 10 KB id, and ordinary UUIDs.
 */
export function hostileEventId(): fc.Arbitrary<string> {
  const names = fc.constantFrom(...BullMQKeyNames, ...RegnotifyKeyNames);
  return fc.oneof(
    { weight: 4, arbitrary: names },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...BullMQKeyNames, 'x', 'job'),
          fc.constantFrom(':x', ':lock', ':logs', ':1', ':'),
        )
        .map(([k, suffix]) => k + suffix),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom('1', '007', '-1', '1e3', '0', '9007199254740993', '1.5'),
    },
    { weight: 1, arbitrary: fc.nat().map(String) },
    // `a:b` and, as a literal id, the job id today's jobIdFor (src/queue/names.ts at 8bb61a9)
    // derives from it: two events, one job.
    { weight: 1, arbitrary: fc.constantFrom('a:b', 'h-6783a31eabf68ccc0660f935c0826282bdd2241f') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '{ep-all}',
        '{',
        '}',
        '{}',
        ' ',
        ' meta',
        'wait ',
        'é',
        '😀',
        '\u2028',
        'x\u0000y',
        'h-0123',
      ),
    },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant('k'.repeat(10 * 1024)) },
    { weight: 2, arbitrary: fc.uuid() },
  );
}
