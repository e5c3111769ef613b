import { describe, expect, it } from 'vitest';
import { IgnoredSink, newIgnoredSink } from '../../../src/sinks/ignored.js';
import { RecordingSink, testEvent } from '../../helpers/test-sinks.js';

// docs/compatibility.md §8.1 TestIgnoredSink, verbatim. null = the list is not given (nil in Go).
type Case = [string[] | null, string[] | null, boolean];

const blobCases: Case[] = [
  [null, null, true],
  [['other'], ['other'], true],
  [['blob', 'manifest'], ['other'], false],
  [['other'], ['pull'], true],
  [['other'], ['pull', 'push'], false],
  [[], ['pull'], true],
  [[], ['push'], false],
  [[], ['mount', 'delete'], true],
];

const manifestCases: Case[] = [
  [null, null, true],
  [['other'], ['other'], true],
  [['blob'], ['other'], true],
  [['blob', 'manifest'], ['other'], false],
  [['other'], ['push'], true],
  [['other'], ['pull', 'push'], false],
  [[], ['push'], true],
  [[], ['pull'], false],
  [[], ['mount', 'delete'], true],
];

const blob = testEvent('push', 'library/test', 'blob', 'blob');
const manifest = testEvent('pull', 'library/test', 'manifest', 'manifest');

describe('IgnoredSink (notifications TestIgnoredSink)', () => {
  for (const [event, cases] of [
    [blob, blobCases],
    [manifest, manifestCases],
  ] as const) {
    it.each(cases)(
      `${event.id}: mediaTypes %j, actions %j → delivered %s`,
      async (mt, ac, delivered) => {
        const ts = new RecordingSink();
        const s = newIgnoredSink(ts, mt ?? [], ac ?? []);
        await s.write(event);
        expect(ts.events).toEqual(delivered ? [event] : []);
      },
    );
  }

  it('returns the sink itself when nothing is ignored, and closes what it wraps', async () => {
    const ts = new RecordingSink();
    expect(newIgnoredSink(ts, [], [])).toBe(ts);
    const s = newIgnoredSink(ts, [], ['push']);
    expect(s).toBeInstanceOf(IgnoredSink);
    await s.close();
    expect(ts.closed).toBe(true);
  });

  it('an empty media type matches events without one (delete events)', async () => {
    const ts = new RecordingSink();
    const s = newIgnoredSink(ts, [''], []);
    await s.write(testEvent('delete', 'r', '', 'del'));
    await s.write(blob);
    expect(ts.events.map((e) => e.id)).toEqual(['blob']);
  });
});
