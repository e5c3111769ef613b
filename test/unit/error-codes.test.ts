/**
 * Every error regnotify raises outside src/events (those: test/unit/events/error-codes.test.ts)
 * is a RegnotifyError with a stable `code`, where a caller can see it.
 */
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { RegnotifyError, toError } from '../../src/errors.js';
import { createIngestHandler } from '../../src/http/ingest.js';
import { workersCheck } from '../../src/http/ops.js';
import { parseListenAddress } from '../../src/http/server.js';
import { takeState } from '../../src/queue/strict-store.js';
import { createLogger } from '../../src/log.js';
import { thrown } from '../helpers/thrown.js';

describe('coded errors', () => {
  it('a take state the advance script never answers: ERR_SCRIPT_REPLY', () => {
    expect(takeState('events')).toBe('events');
    const err = thrown(() => takeState('bogus'));
    expect(err).toBeInstanceOf(RegnotifyError);
    expect(err).toMatchObject({ code: 'ERR_SCRIPT_REPLY' });
    expect((err as Error).message).toBe('advance script: unexpected reply: state bogus');
  });

  it('a listen address that does not parse, or a port out of range: ERR_LISTEN_ADDRESS', () => {
    for (const addr of ['nohost', '127.0.0.1:70000']) {
      const err = thrown(() => parseListenAddress(addr));
      expect(err).toBeInstanceOf(RegnotifyError);
      expect(err).toMatchObject({ code: 'ERR_LISTEN_ADDRESS' });
      expect((err as Error).message).toContain(`listen address "${addr}"`);
    }
  });

  it('ingest bounds that cannot hold one largest request: ConfigError naming the key', () => {
    const base = {
      sink: { writeEncoded: () => Promise.reject(new Error('not called')) },
      path: '/events',
      logger: createLogger({ level: 'silent' }),
    };
    const bytes = thrown(() =>
      createIngestHandler({ ...base, maxBodyBytes: 10, maxInFlightBytes: 19 }),
    );
    expect(bytes).toMatchObject({ code: 'ERR_CONFIG', key: 'ingest.maxInFlightBytes' });
    const events = thrown(() =>
      createIngestHandler({ ...base, maxEventsPerRequest: 10, maxInFlightEvents: 19 }),
    );
    expect(events).toMatchObject({ code: 'ERR_CONFIG', key: 'ingest.maxInFlightEvents' });
  });

  it('the workers readiness check, workers stopped: ERR_WORKERS_NOT_RUNNING', async () => {
    const err = await workersCheck(() => false)
      .check()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegnotifyError);
    expect(err).toMatchObject({ code: 'ERR_WORKERS_NOT_RUNNING', message: 'workers not running' });
  });

  it('a command line that does not parse: UsageError, a RegnotifyError, ERR_USAGE', () => {
    const err = thrown(() => parseCliArgs(['nosuch']));
    expect(err).toBeInstanceOf(RegnotifyError);
    expect(err).toMatchObject({ name: 'UsageError', code: 'ERR_USAGE' });
  });

  it('toError keeps an Error, and turns any other thrown value into a coded one without throwing', () => {
    const original = new Error('x');
    expect(toError(original)).toBe(original);
    const circular: { self?: unknown } = {};
    circular.self = circular;
    const cases: [unknown, string][] = [
      ['text', 'text'],
      [{ a: 1 }, '{"a":1}'],
      [undefined, 'undefined'],
      [10n, '10'],
      [circular, '[object Object]'],
    ];
    for (const [value, message] of cases) {
      const err = toError(value);
      expect(err).toBeInstanceOf(RegnotifyError);
      expect(err).toMatchObject({ code: 'ERR_NOT_AN_ERROR', message });
      expect(err.cause).toBe(value);
    }
  });
});
