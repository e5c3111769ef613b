/**
 * The whole service in-process, wired by startApp exactly as the CLI wires it, from a config
 * loaded through loadConfig (so defaults and validation are the real ones), with its log lines
 * collected for the test to read.
 */
import { Writable } from 'node:stream';
import { request } from 'undici';
import { startApp } from '../../src/app.js';
import type { App, AppRoles } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { RegnotifyConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { makeEvent } from '../fixtures/sample-event.js';
import { encodeEnvelope } from '../../src/events/encode.js';
import type { Event } from '../../src/events/types.js';

export interface TestApp {
  app: App;
  config: RegnotifyConfig;
  /** Every log line so far, parsed. */
  lines(): Record<string, unknown>[];
  /** POSTs one envelope of `events` to the ingest; resolves with status and parsed body. */
  post(events: Event[]): Promise<{ status: number; body: Record<string, unknown> }>;
  /** GET on the ingest listener (e.g. /metrics). */
  get(path: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  redisUrl: string;
  prefix: string;
  endpoints: Record<string, unknown>[];
  roles?: Partial<AppRoles>;
  /** Merged over the config, e.g. { redis: { waitReplicas: 1 } }. */
  redis?: Record<string, unknown>;
  /** Other sections merged over the config, e.g. { console: { token: 't' } }. */
  sections?: Record<string, unknown>;
  level?: string;
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const { config } = loadConfig({
    env: {},
    overrides: {
      redis: { url: options.redisUrl, prefix: options.prefix, ...options.redis },
      ingest: { addr: '127.0.0.1:0' },
      notifications: { endpoints: options.endpoints },
      logging: { level: options.level ?? 'info' },
      ...options.sections,
    },
  });
  const collected: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      collected.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: config.logging.level, destination });
  const app = await startApp({
    config,
    logger,
    roles: { ingest: true, workers: true, ...options.roles },
  });
  const base = app.httpUrl ?? '';
  return {
    app,
    config,
    lines: () => collected.map((l) => JSON.parse(l) as Record<string, unknown>),
    async post(events) {
      const res = await request(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
        body: encodeEnvelope(events),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> };
    },
    async get(path) {
      const res = await request(`${base}${path}`);
      return { status: res.statusCode, text: await res.body.text() };
    },
    close: () => app.close(),
  };
}

/** `n` distinct events tagged `tag`, padded to about `bytes` each (for filling Redis). */
export function events(n: number, tag: string, from = 0, bytes = 0): Event[] {
  return Array.from({ length: n }, (_, i) => {
    const e = makeEvent(from + i, tag);
    return bytes > 0 ? { ...e, actor: { name: 'x'.repeat(bytes) } } : e;
  });
}
