/**
 * The configuration's `redis` section as connection settings: the one translation used by the
 * app and by every operator command, so a command talks to Redis with the same password and
 * timeouts as the service it inspects.
 */
import type { RegnotifyConfig } from './config/types.js';
import type { RedisSettings } from './queue/connection.js';

/** No redis.url, cluster or sentinels: `regnotify start` runs its own redis-server. */
export function usesEmbeddedRedis(config: RegnotifyConfig): boolean {
  const r = config.redis;
  return !r.url && r.cluster.nodes.length === 0 && r.sentinel.sentinels.length === 0;
}

/** Connection settings from the config; `url` stands in for redis.url (the embedded server's). */
export function redisSettings(config: RegnotifyConfig, url = config.redis.url): RedisSettings {
  const r = config.redis;
  return {
    url,
    cluster: r.cluster,
    sentinel: r.sentinel,
    ...(r.password ? { password: r.password } : {}),
    commandTimeoutMs: r.commandTimeoutMs,
    connectTimeoutMs: r.connectTimeoutMs,
  };
}

/**
 * Where a process that does not run Redis itself (an operator command) finds it: the
 * configured Redis, or else the embedded redis-server of a `regnotify start` on its fixed
 * port. Undefined when neither is known (redis.embedded.port is 0: a port picked at random).
 */
export function knownRedisSettings(config: RegnotifyConfig): RedisSettings | undefined {
  if (!usesEmbeddedRedis(config)) return redisSettings(config);
  const port = config.redis.embedded.port;
  return port > 0 ? redisSettings(config, `redis://127.0.0.1:${port}`) : undefined;
}
