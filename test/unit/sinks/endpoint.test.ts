import { describe, expect, it } from 'vitest';
import { expvarEndpoint, expvarJson, emptyMetrics } from '../../../src/metrics/endpoint-metrics.js';
import { goStatusText, statusKey } from '../../../src/metrics/status-text.js';
import {
  Endpoint,
  endpointDefaults,
  expvarEndpoints,
  registeredEndpoints,
} from '../../../src/sinks/endpoint.js';
import { testEvent } from '../../helpers/test-sinks.js';
import { startGoTestServer } from './go-test-server.js';

describe('Go status texts', () => {
  it('uses Go 1.19 phrases where Node differs, and an empty text for unknown codes', () => {
    expect(statusKey(413)).toBe('413 Request Entity Too Large');
    expect(statusKey(414)).toBe('414 Request URI Too Long');
    expect(statusKey(416)).toBe('416 Requested Range Not Satisfiable');
    expect(statusKey(418)).toBe("418 I'm a teapot");
    expect(statusKey(422)).toBe('422 Unprocessable Entity');
    expect(statusKey(307)).toBe('307 Temporary Redirect');
    expect(statusKey(299)).toBe('299 ');
    expect(goStatusText(599)).toBe('');
  });
});

describe('endpoint config and expvar', () => {
  it('applies Go defaults to unset, zero and negative values', () => {
    expect(endpointDefaults({})).toEqual({ timeoutMs: 1000, threshold: 10, backoffMs: 1000 });
    expect(endpointDefaults({ timeoutMs: -1, threshold: 0, backoffMs: 5 })).toEqual({
      timeoutMs: 1000,
      threshold: 10,
      backoffMs: 5,
    });
  });

  it('prints the exact /debug/vars layout of docs/compatibility.md §6.2', () => {
    expect(expvarJson([])).toBe('{"notifications": {"endpoints": null}}');
    const one = expvarEndpoint('x', 'y', endpointDefaults({}), emptyMetrics());
    expect(expvarJson([one])).toBe(
      '{"notifications": {"endpoints": [{"name":"x","url":"y","Headers":null,"Timeout":1000000000,' +
        '"Threshold":10,"Backoff":1000000000,"IgnoredMediaTypes":null,' +
        '"Ignore":{"MediaTypes":null,"Actions":null},"Metrics":{"Pending":0,"Events":0,' +
        '"Successes":0,"Failures":0,"Errors":0,"Statuses":{}}}]}}',
    );
  });

  it('sorts header and status keys and escapes like Go', () => {
    const metrics = {
      ...emptyMetrics(),
      statuses: { '500 Internal Server Error': 1, '200 OK': 2 },
    };
    const e = expvarEndpoint(
      'n',
      'http://h/?a=1&b=<2>',
      { ...endpointDefaults({}), headers: { b: ['2'], A: ['<1>'] }, ignore: { actions: ['pull'] } },
      metrics,
    );
    const text = expvarJson([e]);
    expect(text).toContain('"url":"http://h/?a=1\\u0026b=\\u003c2\\u003e"');
    expect(text).toContain('"Headers":{"A":["\\u003c1\\u003e"],"b":["2"]}');
    expect(text).toContain('"Ignore":{"MediaTypes":null,"Actions":["pull"]}');
    expect(text).toContain('"Statuses":{"200 OK":2,"500 Internal Server Error":1}');
  });
});

describe('Endpoint', () => {
  it('delivers through the whole pipeline, counts metrics, registers for expvar, cascades close', async () => {
    const server = await startGoTestServer();
    try {
      expect(expvarEndpoints()).toBe('{"notifications": {"endpoints": null}}'); // TestMetricsExpvar
      const ep = new Endpoint('ep', `${server.url}/?status=200`, {
        ignore: { actions: ['pull'] },
        ignoredMediaTypes: ['skip/me'],
      });
      expect(registeredEndpoints()).toEqual([ep]);
      await ep.write(testEvent('push', 'r', 'blob', 'a'));
      await ep.write(testEvent('pull', 'r', 'blob', 'ignored-action'));
      await ep.write(testEvent('push', 'r', 'skip/me', 'ignored-type'));
      await ep.write(testEvent('push', 'r', 'blob', 'b'));
      await ep.close();
      expect(
        server.seen.map((s) => (JSON.parse(s.body) as { events: { id: string }[] }).events[0]?.id),
      ).toEqual(['a', 'b']);
      expect(ep.readMetrics()).toEqual({
        pending: 0,
        events: 2,
        successes: 2,
        failures: 0,
        errors: 0,
        statuses: { '200 OK': 2 },
      });
      await expect(ep.close()).resolves.toBeUndefined(); // a second close is the first one
      expect(registeredEndpoints()).toEqual([]); // a deviation from Go: closed endpoints leave
    } finally {
      await server.close();
    }
  });

  it('retries a failing endpoint with the breaker until it succeeds (fake clock and sleep)', async () => {
    const server = await startGoTestServer();
    let now = 0;
    const waits: number[] = [];
    try {
      const ep = new Endpoint(
        'flaky',
        `${server.url}/fail?n=3`,
        { threshold: 2, backoffMs: 50 },
        { clock: { now: () => now }, sleep: async (ms) => void (waits.push(ms), (now += ms)) },
      );
      await ep.write(testEvent('push', 'r', 'blob', 'a'));
      await ep.close(); // drains: returns once the event got through
      // threshold 2: two immediate attempts, then each retry waits the backoff
      expect(waits).toEqual([50, 50]);
      expect(server.seen).toHaveLength(4);
      expect(ep.readMetrics()).toEqual({
        pending: 0,
        events: 1,
        successes: 1,
        failures: 3,
        errors: 0,
        statuses: { '200 OK': 1, '500 Internal Server Error': 3 },
      });
    } finally {
      await server.close();
    }
  });
});
