/**
 * The convict schema of regnotify's own top-level sections — the documentation of every key:
 * its doc, format, default and environment variable. The `notifications:` section is the
 * registry's and is described in ./registry/keys.ts. Keys are written in YAML exactly as
 * they appear here (camelCase); each key's environment variable is REGNOTIFY_ + its upper-cased
 * path, '.' written '_' (REGNOTIFY_REDIS_EMBEDDED_DATADIR), set by defineSchema below.
 * The config's type is derived from the schema (each key typed by its format, ./formats.ts),
 * and the compiler checks that every default is a value of its key's format.
 */
import type { FormatName, FormatType } from './formats.js';

export interface SchemaLeaf {
  doc: string;
  /** A name from ./formats.ts, or the list of allowed values. */
  format: FormatName | readonly string[];
  default: unknown;
  /** REGNOTIFY_ + the key's upper-cased path: derived by defineSchema, never written below. */
  env: string;
  /** A secret: ./secrets.ts scrubs it from logs and hides it when printed (a test checks). */
  sensitive?: boolean;
}

/** Any subtree of a schema, walked without its type. */
export interface SchemaTree {
  [key: string]: SchemaLeaf | SchemaTree;
}

export function isLeaf(node: SchemaLeaf | SchemaTree): node is SchemaLeaf {
  return 'default' in node && 'doc' in node;
}

/** The type of the values of a key with format `F`. */
type ValueOf<F> = F extends FormatName ? FormatType<F> : F extends readonly (infer V)[] ? V : never;

/** A key as written: its format, a default of the format's type (else no compile) and its doc. */
function key<const F extends SchemaLeaf['format']>(
  format: F,
  def: ValueOf<F>,
  about: { doc: string; sensitive?: true },
): { doc: string; format: F; default: ValueOf<F>; sensitive?: true } {
  return { ...about, format, default: def };
}

/** A schema as written: its leaves without `env`. */
interface WrittenTree {
  [key: string]: Omit<SchemaLeaf, 'env'> | WrittenTree;
}

/** The config a schema describes: a value for each leaf, a section for each subtree. */
type ConfigOf<S> = {
  [K in keyof S]: S[K] extends { doc: string; default: infer V } ? V : ConfigOf<S[K]>;
};

/** `S` with its variable's name on each leaf. */
type WithEnv<S> = {
  [K in keyof S]: S[K] extends { doc: string } ? S[K] & { env: string } : WithEnv<S[K]>;
};

/**
 * `schema` with its variable's name on each leaf, typed so that convict's own Schema<OwnConfig>
 * accepts it; the cast only says so (the compiler does not follow a tree built key by key).
 */
function defineSchema<S extends WrittenTree>(schema: S, prefix = 'REGNOTIFY'): WithEnv<S> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(schema)) {
    const env = `${prefix}_${name.toUpperCase()}`;
    out[name] = 'doc' in node ? { ...node, env } : defineSchema(node as WrittenTree, env);
  }
  return out as WithEnv<S>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = defineSchema({
  redis: {
    url: key('rn-redis-url', '', {
      doc: "Redis to keep the queues in, redis:// or rediss:// (user/password may be in the URL). '' = an embedded redis-server started by `regnotify start` (see redis.embedded).",
      sensitive: true,
    }),
    prefix: key('rn-string', 'regnotify', {
      doc: 'Prefix of every Redis key regnotify writes; lets several deployments share one Redis.',
    }),
    commandTimeoutMs: key('rn-positive', 5000, {
      doc: 'A Redis write by the ingest/bridge fails after this many ms (the ingest then answers 503 so the registry retries).',
    }),
    connectTimeoutMs: key('rn-positive', 1000, {
      doc: 'Timeout of one attempt to connect to Redis, in ms; a failed attempt is retried within 0.5 s, so a Redis back after an outage or a partition is found within about this long.',
    }),
    cluster: {
      nodes: key('rn-hostports', [], {
        doc: 'Redis Cluster seed nodes, host:port (comma list in the environment). Non-empty = use Redis Cluster instead of redis.url.',
      }),
    },
    sentinel: {
      name: key('rn-string', '', {
        doc: 'Sentinel master name; required when redis.sentinel.sentinels is set.',
      }),
      sentinels: key('rn-hostports', [], {
        doc: 'Redis Sentinel addresses, host:port (comma list in the environment). Non-empty = find the master through Sentinel.',
      }),
    },
    waitReplicas: key('rn-nat', 0, {
      doc: "Acknowledge an envelope (200) only once this many replicas confirmed its events (Redis WAIT); 503 otherwise, and the registry retries (a retry within redis.dedupeWindowMs stores nothing twice). With Sentinel or Cluster, 1 or more makes an acknowledged event survive a failover (see the README's guarantees). 0 = acknowledge once the primary has it.",
    }),
    waitTimeoutMs: key('rn-positive', 1000, {
      doc: 'How long the ingest waits for redis.waitReplicas confirmations before answering 503, in ms. Keep it below redis.commandTimeoutMs.',
    }),
    writeHeadroomPercent: key('rn-percent', 10, {
      doc: "Share of Redis's maxmemory kept free for delivery: the ingest and the bridge refuse new events (503, ERR_STORE_FULL) while more than (100 - this) % is used, so that workers can always take, deliver and remove events. Redis's memory is read every 500 ms. 0 = accept until Redis itself refuses.",
    }),
    reserveBytes: key('rn-nat', 262144, {
      doc: 'Memory held per endpoint (a key in its slot) and released by a worker that finds Redis completely full, so that delivery can start and free memory whoever filled Redis. 0 = no reserve.',
    }),
    dedupeWindowMs: key('rn-positive', 3600000, {
      doc: 'An event identical to one accepted this recently (ms) is not stored again, even when the first was already delivered: a registry retrying a POST whose 200 it never saw (or that got a 503 after the write happened) causes no duplicate delivery.',
    }),
    dedupeMaxIds: key('rn-nat', 10000, {
      doc: 'The dedupe window remembers at most this many events per endpoint (about 100 bytes of Redis each); 0 = no window (an event is stored once only while it is pending).',
    }),
    password: key('rn-string', '', {
      doc: 'Redis password (AUTH), used when the URL carries none; also for Cluster and Sentinel nodes.',
      sensitive: true,
    }),
    embedded: {
      dataDir: key('rn-string', './var/redis', {
        doc: 'Data directory (AOF files) of the embedded redis-server.',
      }),
      bin: key('rn-string', 'redis-server', {
        doc: 'redis-server executable for the embedded Redis (looked up in PATH).',
      }),
      port: key('rn-port', 6390, {
        doc: 'Port of the embedded Redis on 127.0.0.1 (fixed, so `regnotify stats` and redis-cli find it); 0 = pick a free one.',
      }),
    },
  },
  ingest: {
    enabled: key('rn-bool', true, {
      doc: 'Run the HTTP ingest (the endpoint a registry POSTs its envelopes to) in this process.',
    }),
    addr: key('rn-addr', '127.0.0.1:5050', {
      doc: "Listen address, host:port; ':5050' (Go style) = all interfaces.",
    }),
    path: key('rn-url-path', '/events', { doc: 'URL path that accepts envelopes (POST).' }),
    maxBodyBytes: key('rn-positive', 1048576, {
      doc: 'Largest accepted request body, in bytes (413 above).',
    }),
    maxInFlightBytes: key('rn-positive', 8388608, {
      doc: "Body bytes of all ingest requests in progress together (being read, parsed or stored); a request that would pass it gets 503 + Retry-After, decided from its Content-Length before its body is read. Its last eighth is kept for bodies up to 64 KiB (the registry's single-event envelopes), so they keep flowing under a flood of big ones. Bounds the ingest's memory under a flood. At least twice ingest.maxBodyBytes.",
    }),
    maxInFlightEvents: key('rn-positive', 2000, {
      doc: "Events of all ingest requests in progress together (parsed, being stored); a request that would pass it gets 503 + Retry-After. The store's work and memory are per event, so this bounds a flood of envelopes of many small events, which the byte bound does not. Its last eighth is kept for envelopes of up to 16 events. At least twice ingest.maxEventsPerRequest.",
    }),
    maxConcurrentRequests: key('rn-positive', 64, {
      doc: 'Ingest requests in progress together; one more gets 503 + Retry-After. Its last eighth is kept for bodies up to 64 KiB.',
    }),
    maxEventsPerRequest: key('rn-positive', 1000, {
      doc: 'Most events in one envelope; more gets 413 (a retry could never pass). The registry sends 1; keep it >= the maxbatch of any regnotify relaying into this one.',
    }),
    headersTimeoutMs: key('rn-positive', 10000, {
      doc: 'A client must send its request line and headers within this many ms, else 408 (slow-header clients hold a connection each).',
    }),
    requestTimeoutMs: key('rn-positive', 30000, {
      doc: 'A client must send its whole request, body included, within this many ms, else 408. At least ingest.headersTimeoutMs.',
    }),
    auth: {
      token: key('rn-string', '', {
        doc: "Bearer token the registry must send (put it in the registry endpoint's headers: Authorization: [Bearer <token>]). '' = not required.",
        sensitive: true,
      }),
      username: key('rn-string', '', {
        doc: "Basic-auth user the registry must send. '' = not required.",
      }),
      password: key('rn-string', '', {
        doc: 'Basic-auth password (required with ingest.auth.username).',
        sensitive: true,
      }),
    },
  },
  workers: {
    enabled: key('rn-bool', true, { doc: 'Run delivery workers in this process.' }),
    endpoints: key('rn-list', [], {
      doc: 'Names of the endpoints this process delivers to (comma list in the environment); [] = every enabled endpoint.',
    }),
    lockDurationMs: key('rn-positive', 4000, {
      doc: "How long a worker's claim on an in-flight delivery lasts without renewal (BullMQ lockDuration); bounds crash recovery time. Keep endpoint timeouts well under it.",
    }),
    stalledIntervalMs: key('rn-positive', 2000, {
      doc: 'How often workers look for deliveries abandoned by a crashed worker (BullMQ stalledInterval).',
    }),
    prefetch: key('rn-prefetch', 32, {
      doc: 'Events read ahead per Redis round trip by a strict-order worker (1-1000); after a crash up to this many events may be POSTed again.',
    }),
  },
  metrics: {
    addr: key('rn-optional-addr', '', {
      doc: "Separate listen address for /metrics and /debug/vars, host:port. '' = served on the ingest listener only.",
    }),
    token: key('rn-string', '', {
      doc: "Bearer token /metrics and /debug/vars require (and that shows /readyz's failure details; its status code is open to all). '' = the ingest's credentials (ingest.auth) when set, else open. /healthz is always open.",
      sensitive: true,
    }),
    cacheMs: key('rn-nat', 1000, {
      doc: 'A scrape reads each endpoint from Redis at most once per this many ms, whatever the number of scrapers (/metrics and /debug/vars share the read); concurrent scrapes share one read. 0 = share only concurrent reads.',
    }),
  },
  console: {
    enabled: key('rn-bool', true, {
      doc: 'Serve the operator console — the dashboard at / and the JSON API under /api/v1/ — on the ingest listener and on metrics.addr.',
    }),
    token: key('rn-string', '', {
      doc: "Bearer token the console requires, for reads and writes alike (the dashboard asks for it once per browser tab). '' = metrics.token when set, else the ingest's credentials (ingest.auth) when set, else open: the default listener is 127.0.0.1.",
      sensitive: true,
    }),
    readOnly: key('rn-bool', false, {
      doc: 'Console reads only: replay, drop, pause and resume are refused (403), in the API and the dashboard alike.',
    }),
    historyMaxAttempts: key('rn-nat', 10000, {
      doc: 'Delivery attempts kept per endpoint (a Redis stream, about 200–250 bytes each, mostly the event id and the digest; the trace and the dashboard read it). Written by the round trip that ends a delivery run; trimmed in whole stream nodes, so up to one node (100 entries) more may stay. 0 = keep no history.',
    }),
    historyMaxAgeMs: key('rn-nat', 604800000, {
      doc: 'Attempts older than this (ms) are dropped from the history when a run ends (in whole stream nodes). 0 = no age bound (console.historyMaxAttempts still holds).',
    }),
    deadLettersMax: key('rn-nat', 10000, {
      doc: 'Dead letters kept per endpoint; beyond it the oldest are dropped, with a warning line and the regnotify_dead_letters_dropped count (stats: deadDropped). 0 = no cap (in a Redis that never evicts, the list then grows without bound).',
    }),
  },
  logging: {
    level: key(LOG_LEVELS, 'info', {
      doc: "Log level (pino). The top-level `log:` section belongs to the registry's config.yml and is ignored.",
    }),
    format: key(['auto', 'json', 'pretty'], 'auto', {
      doc: 'json = one JSON object a line (for log shippers); pretty = readable lines (time, level, message, key=value); auto = pretty when standard output is a terminal, else json. Secrets are scrubbed either way.',
    }),
  },
});

/** regnotify's own sections as loaded: each key typed by its format. */
export type OwnConfig = ConfigOf<typeof configSchema>;

/** Every leaf of a schema with its dotted path, in declaration order. */
export function schemaLeaves(node: SchemaTree = configSchema, prefix = ''): [string, SchemaLeaf][] {
  return Object.entries(node).flatMap(([key, child]): [string, SchemaLeaf][] => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isLeaf(child) ? [[path, child]] : schemaLeaves(child, path);
  });
}
