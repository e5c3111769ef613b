/**
 * The load of bench/flood.ts: concurrent senders of big envelopes, and a prober measuring what a
 * registry's single-event POST and a health check get meanwhile. All on 127.0.0.1, bounded in
 * time: after `seconds` the senders stop starting requests; what is still unanswered
 * `drainMs` later is aborted and counted.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { FloodBody } from './flood-bodies.js';

export interface FloodOptions {
  /** http://127.0.0.1:PORT */
  url: string;
  senders: number;
  seconds: number;
  body: (i: number) => FloodBody;
  probe: (i: number) => FloodBody;
  drainMs?: number;
}

export interface PhaseResult {
  /** Flood answers by status code, or by error code for transport errors. */
  statuses: Record<string, number>;
  /** Events in requests answered 200 (flood and probes). */
  acceptedEvents: number;
  probePost: number[];
  probeStatuses: Record<string, number>;
  probeHealth: number[];
  unfinished: number;
}

const V1 = 'application/vnd.docker.distribution.events.v1+json';

export async function runFlood(options: FloodOptions): Promise<PhaseResult> {
  const result: PhaseResult = {
    statuses: {},
    acceptedEvents: 0,
    probePost: [],
    probeStatuses: {},
    probeHealth: [],
    unfinished: 0,
  };
  const count = (into: Record<string, number>, key: string): void => {
    into[key] = (into[key] ?? 0) + 1;
  };
  const deadline = performance.now() + options.seconds * 1000;
  const abort = new AbortController();
  setMaxListeners(options.senders + 8, abort.signal); // one listener per request in flight
  const drain = setTimeout(
    () => abort.abort(),
    options.seconds * 1000 + (options.drainMs ?? 20_000),
  );
  const floodAgent = new Agent({ connections: options.senders, pipelining: 1 });
  const probeAgent = new Agent({ connections: 2, pipelining: 1 });
  let serial = 0;

  /** One request: its status (or error code) and how long it took. */
  const send = async (agent: Agent, path: string, body?: Buffer): Promise<[string, number]> => {
    const t0 = performance.now();
    try {
      const res = await request(`${options.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        dispatcher: agent,
        signal: abort.signal,
        ...(body === undefined ? {} : { body, headers: { 'content-type': V1 } }),
      });
      await res.body.dump();
      return [String(res.statusCode), performance.now() - t0];
    } catch (err) {
      if (abort.signal.aborted) {
        result.unfinished++;
        return ['aborted', performance.now() - t0];
      }
      return [String((err as { code?: unknown }).code ?? 'error'), performance.now() - t0];
    }
  };

  const sender = async (): Promise<void> => {
    while (performance.now() < deadline && !abort.signal.aborted) {
      const { body, events } = options.body(serial++);
      const [status] = await send(floodAgent, '/events', body);
      count(result.statuses, status);
      if (status === '200') result.acceptedEvents += events;
    }
  };
  // Two probers, each one request after the other: a slow POST does not hide /healthz.
  const healthProber = async (): Promise<void> => {
    while (performance.now() < deadline && !abort.signal.aborted) {
      const [health, healthMs] = await send(probeAgent, '/healthz');
      if (health === '200') result.probeHealth.push(healthMs);
      await pause(20);
    }
  };
  const postProber = async (): Promise<void> => {
    for (let i = 0; performance.now() < deadline && !abort.signal.aborted; i++) {
      const [status, postMs] = await send(probeAgent, '/events', options.probe(i).body);
      result.probePost.push(postMs);
      count(result.probeStatuses, status);
      if (status === '200') result.acceptedEvents += 1;
      await pause(20);
    }
  };
  try {
    await Promise.all([
      healthProber(),
      postProber(),
      ...Array.from({ length: options.senders }, sender),
    ]);
  } finally {
    clearTimeout(drain);
    await Promise.all([floodAgent.destroy(), probeAgent.destroy()]);
  }
  return result;
}

/** Pacing between probes (not synchronisation): a probe every 20 ms at most. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
