import { Cluster } from 'ioredis';
import { NoReplyError, toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './connection.js';
import { endpointKeys } from './names.js';

/**
 * How full Redis is, read every `intervalMs` with `INFO memory`, per endpoint (on a Cluster
 * each endpoint's slot lives on one master, and that master's memory is what counts).
 *
 * With `maxmemory-policy noeviction` a full Redis refuses every write — BullMQ's scripts that
 * take a job and finish it included — so delivery, the only thing that frees memory, would
 * stop too. The ingest therefore refuses new events while more than (100 − headroom) % of
 * maxmemory is used: the rest stays for delivery. The reading is at most one interval old; the
 * overshoot that allows is what the ingest can write in that time, well inside the headroom.
 */
export interface MemoryReading {
  /** Memory that counts against maxmemory (used_memory − mem_not_counted_for_evict). */
  used: number;
  /** 0 = no limit. */
  max: number;
  at: number;
}

export interface MemoryWatchOptions {
  client: RedisClient;
  prefix: string;
  endpoints: readonly string[];
  /** Refuse while used > max × (1 − headroomPercent / 100). 0 = Redis's own OOM is the limit. */
  headroomPercent: number;
  intervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

export function parseMemoryInfo(info: string, at: number): MemoryReading {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    return m ? Number(m[1]) : 0;
  };
  return {
    used: Math.max(0, field('used_memory') - field('mem_not_counted_for_evict')),
    max: field('maxmemory'),
    at,
  };
}

const MiB = 1024 * 1024;
const mb = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

export class MemoryWatch {
  private readonly readings = new Map<string, MemoryReading>();
  /** Bytes this process stored since the node's last reading (see charge()). */
  private readonly written = new Map<string, number>();
  private readonly full = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MemoryWatchOptions) {
    this.intervalMs = options.intervalMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  /** Reads once (so the first write is already checked), then every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest fresh reading for the endpoint's node, if any. */
  reading(endpoint: string): MemoryReading | undefined {
    const r = this.readings.get(this.nodeOf(endpoint));
    // A reading older than three intervals says nothing (Redis unreachable: writes fail anyway).
    return r && this.now() - r.at <= 3 * this.intervalMs ? r : undefined;
  }

  /**
   * Counts what this process just stored, so that between two readings a fast ingest does not
   * overshoot the limit by what it writes in one interval. An estimate of Redis's cost: the
   * bytes plus a job hash's overhead.
   */
  charge(endpoint: string, dataBytes: number, events: number): void {
    const node = this.nodeOf(endpoint);
    const cost = Math.ceil(dataBytes * 1.2) + events * 400;
    this.written.set(node, (this.written.get(node) ?? 0) + cost);
  }

  /** Why a new event for `endpoint` must be refused now, or undefined. */
  refusal(endpoint: string): string | undefined {
    const r = this.reading(endpoint);
    // Headroom 0: Redis itself decides (its OOM refusal is the limit).
    if (!r || r.max === 0 || this.options.headroomPercent === 0) return undefined;
    const used = r.used + (this.written.get(this.nodeOf(endpoint)) ?? 0);
    const limit = r.max * (1 - this.options.headroomPercent / 100);
    if (used <= limit) return undefined;
    return (
      `Redis is ${((100 * used) / r.max).toFixed(1)}% full (${mb(used)} of maxmemory ` +
      `${mb(r.max)}); new events are refused above ${mb(limit)} so that delivery keeps room ` +
      `(redis.writeHeadroomPercent ${this.options.headroomPercent})`
    );
  }

  /** Room left below the refusal limit, in bytes (Infinity without maxmemory or a reading). */
  room(endpoint: string): number {
    const r = this.reading(endpoint);
    if (!r || r.max === 0) return Number.POSITIVE_INFINITY;
    const used = r.used + (this.written.get(this.nodeOf(endpoint)) ?? 0);
    return r.max * (1 - this.options.headroomPercent / 100) - used;
  }

  private nodeOf(endpoint: string): string {
    return this.options.client instanceof Cluster ? endpoint : '';
  }

  private async refresh(): Promise<void> {
    const { client, prefix, endpoints } = this.options;
    // On a Cluster, a pipeline goes to the node of its keys: INFO behind an EXISTS of the
    // endpoint's key is answered by the master that holds that endpoint.
    const targets = client instanceof Cluster ? endpoints : [''];
    await Promise.all(
      targets.map(async (endpoint) => {
        try {
          const info =
            client instanceof Cluster
              ? await infoOnSlotOf(client, endpointKeys(prefix, endpoint).meta)
              : await client.info('memory');
          this.record(endpoint, parseMemoryInfo(info, this.now()));
        } catch (err) {
          this.options.logger?.debug({ err: toError(err) }, 'INFO memory failed');
        }
      }),
    );
  }

  private record(node: string, reading: MemoryReading): void {
    this.readings.set(node, reading);
    this.written.delete(node);
    const endpoint = node === '' ? (this.options.endpoints[0] ?? '') : node;
    const why = this.refusal(endpoint);
    const label = node === '' ? {} : { endpoint: node };
    if (why !== undefined && !this.full.has(node)) {
      this.full.add(node);
      this.options.logger?.error(
        label,
        `${why}: until delivery frees memory, the ingest answers 503`,
      );
    } else if (why === undefined && this.full.delete(node)) {
      this.options.logger?.warn(
        { ...label, usedBytes: reading.used, maxBytes: reading.max },
        'Redis has room again: new events are accepted',
      );
    }
  }
}

async function infoOnSlotOf(cluster: Cluster, key: string): Promise<string> {
  const replies = await cluster.pipeline().exists(key).info('memory').exec();
  const [err, info] = replies?.[1] ?? [new NoReplyError('INFO memory'), undefined];
  if (err) throw err;
  return String(info);
}
