/**
 * Which endpoints an operator command and the console's API (./ops.ts) act on: those configured, else
 * those some regnotify process serves on this Redis. Every process writes the epoch key
 * `<prefix>:{ep-<name>}:rn:epoch` of each endpoint it serves (src/queue/epoch.ts, names in
 * src/queue/names.ts), so a SCAN for that pattern finds them — on a Cluster, on every master,
 * since each endpoint's keys live in the slot of its own hash tag. Plain commands only: this
 * reads Redis and writes nothing.
 */
import { ENDPOINT_NAME_PATTERN } from '../config/registry/endpoint.js';
import type { EndpointSettings, RegnotifyConfig } from '../config/types.js';
import { enabledEndpoints } from '../config/types.js';
import { RegnotifyError } from '../errors.js';
import type { RedisClient } from '../queue/connection.js';
import type { EventFilter } from '../sinks/filter.js';

/** A name given with --endpoint (or to the API) that is neither configured nor in Redis. */
export class UnknownEndpointError extends RegnotifyError {
  readonly endpoint: string;
  /** The endpoints that are known (configured, or found in Redis). */
  readonly known: readonly string[];
  constructor(endpoint: string, known: readonly string[], prefix: string) {
    const where =
      known.length > 0
        ? `known: ${known.join(', ')}`
        : `none is configured, and none under the prefix ${JSON.stringify(prefix)}`;
    super(
      'ERR_UNKNOWN_ENDPOINT',
      `unknown endpoint ${JSON.stringify(endpoint)}: neither configured nor found in Redis (${where})`,
    );
    this.endpoint = endpoint;
    this.known = known;
  }
}

/** `text` with Redis glob's special characters escaped, so it matches only itself. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

const HEAD = ':{ep-';
const TAIL = '}:rn:epoch';

/** SCAN of one node for `match`, every key it returns. */
async function scanNode(node: RedisClient, match: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/**
 * The names of the endpoints some regnotify process serves under `prefix` (their epoch keys),
 * sorted. On a Cluster every master is scanned.
 */
export async function endpointsInRedis(client: RedisClient, prefix: string): Promise<string[]> {
  const match = `${globLiteral(prefix)}${HEAD}*${TAIL}`;
  const nodes = 'nodes' in client ? client.nodes('master') : [client];
  const keys = (await Promise.all(nodes.map((n) => scanNode(n, match)))).flat();
  const names = keys
    .filter((k) => k.startsWith(`${prefix}${HEAD}`) && k.endsWith(TAIL))
    .map((k) => k.slice(prefix.length + HEAD.length, -TAIL.length))
    // `*` may span more than a name (`a}:rn:epoch:{ep-b`): only a valid name is one.
    .filter((name) => ENDPOINT_NAME_PATTERN.test(name));
  return [...new Set(names)].sort();
}

/**
 * The endpoints a command acts on: `named` (each one configured or found in Redis, else
 * UnknownEndpointError), or when none is named every enabled configured endpoint, or when none
 * is configured those found in Redis. Redis is scanned only when the config does not answer.
 */
export async function resolveEndpoints(
  client: RedisClient,
  config: RegnotifyConfig,
  named: readonly string[],
): Promise<string[]> {
  const prefix = config.redis.prefix;
  const configured = config.notifications.endpoints.map((e) => e.name);
  if (named.length === 0) {
    const enabled = enabledEndpoints(config).map((e) => e.name);
    return configured.length > 0 ? enabled : endpointsInRedis(client, prefix);
  }
  if (named.every((n) => configured.includes(n))) return [...named];
  const known = [...new Set([...configured, ...(await endpointsInRedis(client, prefix))])].sort();
  const unknown = named.find((n) => !known.includes(n));
  if (unknown !== undefined) throw new UnknownEndpointError(unknown, known, prefix);
  return [...named];
}

/** Which events a configured endpoint wants (the ingest applies it: src/app.ts producerEndpoint). */
export function endpointFilter(ep: EndpointSettings): EventFilter {
  return {
    ignoredMediaTypes: [...ep.ignore.mediaTypes, ...ep.ignoredMediaTypes],
    ignoredActions: ep.ignore.actions,
    repositories: ep.repositories,
    tags: ep.tags,
  };
}

/** The filter of the configured endpoint `name` (undefined when it is not configured). */
export function configuredFilter(config: RegnotifyConfig, name: string): EventFilter | undefined {
  const ep = config.notifications.endpoints.find((e) => e.name === name);
  return ep && endpointFilter(ep);
}
