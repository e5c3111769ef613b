import { randomUUID } from 'node:crypto';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './connection.js';
import { endpointKeys } from './names.js';

/**
 * Notices that Redis lost its data: a Redis restarted without its AOF, a new empty node, a
 * FLUSHALL. Each endpoint's slot holds a key written once with a random value; every process
 * remembers what it read, and after each reconnection (and every `intervalMs`) reads it again.
 * Gone or different means everything accepted before is gone too: that is logged as an error
 * and counted (`onLoss`), never silent. A failover keeps the key (it is replicated).
 */
export interface EpochWatchOptions {
  client: RedisClient;
  prefix: string;
  endpoints: readonly string[];
  logger: Logger;
  onLoss?: (endpoint: string) => void;
  intervalMs?: number;
}

export class EpochWatch {
  private readonly known = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onReady = (): void => void this.check();

  constructor(private readonly options: EpochWatchOptions) {}

  async start(): Promise<void> {
    await this.check();
    this.options.client.on('ready', this.onReady);
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    this.options.client.off('ready', this.onReady);
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads every endpoint's epoch; creates missing ones; reports the ones that changed. */
  async check(): Promise<void> {
    const { client, prefix, endpoints, logger } = this.options;
    await Promise.all(
      endpoints.map(async (endpoint) => {
        const key = endpointKeys(prefix, endpoint).epoch;
        try {
          const fresh = `${new Date().toISOString()} ${randomUUID()}`;
          // SET NX GET (Redis >= 7.0) would be one call; two keep Redis 6.2 working.
          await client.set(key, fresh, 'NX');
          const current = await client.get(key);
          if (current === null) return;
          const before = this.known.get(endpoint);
          this.known.set(endpoint, current);
          if (before !== undefined && before !== current) {
            logger.error(
              { endpoint, since: before.split(' ')[0] },
              `Redis lost data of endpoint ${endpoint}: its queue was emptied or replaced (a restart without persistence, a FLUSHALL, a new node); events accepted before may be lost`,
            );
            this.options.onLoss?.(endpoint);
          }
        } catch (err) {
          logger.debug({ endpoint, err: toError(err) }, 'epoch check failed');
        }
      }),
    );
  }
}
