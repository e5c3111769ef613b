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
  /** REGNOTIFY_ + the key's upper-cased path: derived, never written below. */
  env: string;
  /** A secret: ./secrets.ts scrubs it from logs and hides it when printed (a test checks). */
  sensitive?: boolean;
}

/** Any subtree of a schema, walked without its type. */
export interface SchemaTree {
  [key: string]: SchemaLeaf | SchemaTree;
}

/** A schema as written: its leaves without `env`. */
type WrittenLeaf = Omit<SchemaLeaf, 'env'>;
interface WrittenTree {
  [key: string]: WrittenLeaf | WrittenTree;
}

export function isLeaf(node: SchemaLeaf | SchemaTree): node is SchemaLeaf {
  return 'default' in node && 'doc' in node;
}

function isWrittenLeaf(node: WrittenLeaf | WrittenTree): node is WrittenLeaf {
  return 'default' in node && 'doc' in node;
}

/** The type of the values of a key with format `F`. */
type ValueOf<F> = F extends FormatName ? FormatType<F> : F extends readonly (infer V)[] ? V : never;

/** The config a schema describes: a value for each leaf, a section for each subtree. */
type ConfigOf<S> = {
  [K in keyof S]: S[K] extends { doc: string; format: infer F } ? ValueOf<F> : ConfigOf<S[K]>;
};

/** What each leaf of `S` must have: a default of its format's type. */
type Checked<S> = {
  [K in keyof S]: S[K] extends { doc: string; format: infer F }
    ? { default: ValueOf<F> }
    : Checked<S[K]>;
};

/** `S` with its variable's name on each leaf. */
type WithEnv<S> = {
  [K in keyof S]: S[K] extends { doc: string } ? S[K] & { env: string } : WithEnv<S[K]>;
};

function withEnv(tree: WrittenTree, prefix: string): SchemaTree {
  const out: SchemaTree = {};
  for (const [key, node] of Object.entries(tree)) {
    const env = `${prefix}_${key.toUpperCase()}`;
    out[key] = isWrittenLeaf(node) ? { ...node, env } : withEnv(node, env);
  }
  return out;
}

/**
 * `schema` as written, typed so that its format names stay literal types (ConfigOf reads them)
 * and each default has its format's type: a wrong default does not compile, and convict's own
 * Schema<OwnConfig> accepts the result. Each leaf gets its variable's name; the cast only says
 * so (the compiler does not follow a tree built key by key).
 */
function defineSchema<S extends WrittenTree>(schema: S & Checked<S>): WithEnv<S & Checked<S>> {
  return withEnv(schema, 'REGNOTIFY') as WithEnv<S & Checked<S>>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = defineSchema({
  redis: {
    url: {
      doc: "Redis to keep the queues in, redis:// or rediss:// (user/password may be in the URL). '' = an embedded redis-server started by `regnotify start` (see redis.embedded).",
      format: 'rn-redis-url',
      default: '',
      sensitive: true,
    },
    prefix: {
      doc: 'Prefix of every Redis key regnotify writes; lets several deployments share one Redis.',
      format: 'rn-string',
      default: 'regnotify',
    },
    commandTimeoutMs: {
      doc: 'A Redis write by the ingest/bridge fails after this many ms (the ingest then answers 503 so the registry retries).',
      format: 'rn-positive',
      default: 5000,
    },
    connectTimeoutMs: {
      doc: 'Timeout of one attempt to connect to Redis, in ms; a failed attempt is retried within 0.5 s, so a Redis back after an outage or a partition is found within about this long.',
      format: 'rn-positive',
      default: 1000,
    },
    cluster: {
      nodes: {
        doc: 'Redis Cluster seed nodes, host:port (comma list in the environment). Non-empty = use Redis Cluster instead of redis.url.',
        format: 'rn-hostports',
        default: [],
      },
    },
    sentinel: {
      name: {
        doc: 'Sentinel master name; required when redis.sentinel.sentinels is set.',
        format: 'rn-string',
        default: '',
      },
      sentinels: {
        doc: 'Redis Sentinel addresses, host:port (comma list in the environment). Non-empty = find the master through Sentinel.',
        format: 'rn-hostports',
        default: [],
      },
    },
    waitReplicas: {
      doc: "Acknowledge an envelope (200) only once this many replicas confirmed its events (Redis WAIT); 503 otherwise, and the registry retries (a retry within redis.dedupeWindowMs stores nothing twice). With Sentinel or Cluster, 1 or more makes an acknowledged event survive a failover (see the README's guarantees). 0 = acknowledge once the primary has it.",
      format: 'rn-nat',
      default: 0,
    },
    waitTimeoutMs: {
      doc: 'How long the ingest waits for redis.waitReplicas confirmations before answering 503, in ms. Keep it below redis.commandTimeoutMs.',
      format: 'rn-positive',
      default: 1000,
    },
    writeHeadroomPercent: {
      doc: "Share of Redis's maxmemory kept free for delivery: the ingest and the bridge refuse new events (503, ERR_STORE_FULL) while more than (100 - this) % is used, so that workers can always take, deliver and remove events. Redis's memory is read every 500 ms. 0 = accept until Redis itself refuses.",
      format: 'rn-percent',
      default: 10,
    },
    reserveBytes: {
      doc: 'Memory held per endpoint (a key in its slot) and released by a worker that finds Redis completely full, so that delivery can start and free memory whoever filled Redis. 0 = no reserve.',
      format: 'rn-nat',
      default: 262144,
    },
    dedupeWindowMs: {
      doc: 'An event identical to one accepted this recently (ms) is not stored again, even when the first was already delivered: a registry retrying a POST whose 200 it never saw (or that got a 503 after the write happened) causes no duplicate delivery.',
      format: 'rn-positive',
      default: 3600000,
    },
    dedupeMaxIds: {
      doc: 'The dedupe window remembers at most this many events per endpoint (about 100 bytes of Redis each); 0 = no window (an event is stored once only while it is pending).',
      format: 'rn-nat',
      default: 10000,
    },
    password: {
      doc: 'Redis password (AUTH), used when the URL carries none; also for Cluster and Sentinel nodes.',
      format: 'rn-string',
      default: '',
      sensitive: true,
    },
    embedded: {
      dataDir: {
        doc: 'Data directory (AOF files) of the embedded redis-server.',
        format: 'rn-string',
        default: './var/redis',
      },
      bin: {
        doc: 'redis-server executable for the embedded Redis (looked up in PATH).',
        format: 'rn-string',
        default: 'redis-server',
      },
      port: {
        doc: 'Port of the embedded Redis on 127.0.0.1 (fixed, so `regnotify stats` and redis-cli find it); 0 = pick a free one.',
        format: 'rn-port',
        default: 6390,
      },
    },
  },
  ingest: {
    enabled: {
      doc: 'Run the HTTP ingest (the endpoint a registry POSTs its envelopes to) in this process.',
      format: 'rn-bool',
      default: true,
    },
    addr: {
      doc: "Listen address, host:port; ':5050' (Go style) = all interfaces.",
      format: 'rn-addr',
      default: '127.0.0.1:5050',
    },
    path: {
      doc: 'URL path that accepts envelopes (POST).',
      format: 'rn-url-path',
      default: '/events',
    },
    maxBodyBytes: {
      doc: 'Largest accepted request body, in bytes (413 above).',
      format: 'rn-positive',
      default: 1048576,
    },
    maxInFlightBytes: {
      doc: "Body bytes of all ingest requests in progress together (being read, parsed or stored); a request that would pass it gets 503 + Retry-After, decided from its Content-Length before its body is read. Its last eighth is kept for bodies up to 64 KiB (the registry's single-event envelopes), so they keep flowing under a flood of big ones. Bounds the ingest's memory under a flood. At least twice ingest.maxBodyBytes.",
      format: 'rn-positive',
      default: 8388608,
    },
    maxInFlightEvents: {
      doc: "Events of all ingest requests in progress together (parsed, being stored); a request that would pass it gets 503 + Retry-After. The store's work and memory are per event, so this bounds a flood of envelopes of many small events, which the byte bound does not. Its last eighth is kept for envelopes of up to 16 events. At least twice ingest.maxEventsPerRequest.",
      format: 'rn-positive',
      default: 2000,
    },
    maxConcurrentRequests: {
      doc: 'Ingest requests in progress together; one more gets 503 + Retry-After. Its last eighth is kept for bodies up to 64 KiB.',
      format: 'rn-positive',
      default: 64,
    },
    maxEventsPerRequest: {
      doc: 'Most events in one envelope; more gets 413 (a retry could never pass). The registry sends 1; keep it >= the maxbatch of any regnotify relaying into this one.',
      format: 'rn-positive',
      default: 1000,
    },
    headersTimeoutMs: {
      doc: 'A client must send its request line and headers within this many ms, else 408 (slow-header clients hold a connection each).',
      format: 'rn-positive',
      default: 10000,
    },
    requestTimeoutMs: {
      doc: 'A client must send its whole request, body included, within this many ms, else 408. At least ingest.headersTimeoutMs.',
      format: 'rn-positive',
      default: 30000,
    },
    auth: {
      token: {
        doc: "Bearer token the registry must send (put it in the registry endpoint's headers: Authorization: [Bearer <token>]). '' = not required.",
        format: 'rn-string',
        default: '',
        sensitive: true,
      },
      username: {
        doc: "Basic-auth user the registry must send. '' = not required.",
        format: 'rn-string',
        default: '',
      },
      password: {
        doc: 'Basic-auth password (required with ingest.auth.username).',
        format: 'rn-string',
        default: '',
        sensitive: true,
      },
    },
  },
  workers: {
    enabled: {
      doc: 'Run delivery workers in this process.',
      format: 'rn-bool',
      default: true,
    },
    endpoints: {
      doc: 'Names of the endpoints this process delivers to (comma list in the environment); [] = every enabled endpoint.',
      format: 'rn-list',
      default: [],
    },
    lockDurationMs: {
      doc: "How long a worker's claim on an in-flight delivery lasts without renewal (BullMQ lockDuration); bounds crash recovery time. Keep endpoint timeouts well under it.",
      format: 'rn-positive',
      default: 4000,
    },
    stalledIntervalMs: {
      doc: 'How often workers look for deliveries abandoned by a crashed worker (BullMQ stalledInterval).',
      format: 'rn-positive',
      default: 2000,
    },
    prefetch: {
      doc: 'Events read ahead per Redis round trip by a strict-order worker (1-1000); after a crash up to this many events may be POSTed again.',
      format: 'rn-prefetch',
      default: 32,
    },
  },
  metrics: {
    addr: {
      doc: "Separate listen address for /metrics and /debug/vars, host:port. '' = served on the ingest listener only.",
      format: 'rn-optional-addr',
      default: '',
    },
    token: {
      doc: "Bearer token /metrics and /debug/vars require (and that shows /readyz's failure details; its status code is open to all). '' = the ingest's credentials (ingest.auth) when set, else open. /healthz is always open.",
      format: 'rn-string',
      default: '',
      sensitive: true,
    },
    cacheMs: {
      doc: 'A scrape reads each endpoint from Redis at most once per this many ms, whatever the number of scrapers (/metrics and /debug/vars share the read); concurrent scrapes share one read. 0 = share only concurrent reads.',
      format: 'rn-nat',
      default: 1000,
    },
  },
  console: {
    enabled: {
      doc: 'Serve the operator console — the dashboard at / and the JSON API under /api/v1/ — on the ingest listener and on metrics.addr.',
      format: 'rn-bool',
      default: true,
    },
    token: {
      doc: "Bearer token the console requires, for reads and writes alike (the dashboard asks for it once per browser tab). '' = metrics.token when set, else the ingest's credentials (ingest.auth) when set, else open: the default listener is 127.0.0.1.",
      format: 'rn-string',
      default: '',
      sensitive: true,
    },
    readOnly: {
      doc: 'Console reads only: replay, drop, pause and resume are refused (403), in the API and the dashboard alike.',
      format: 'rn-bool',
      default: false,
    },
    historyMaxAttempts: {
      doc: 'Delivery attempts kept per endpoint (a Redis stream, about 200–250 bytes each, mostly the event id and the digest; the trace and the dashboard read it). Written by the round trip that ends a delivery run; trimmed in whole stream nodes, so up to one node (100 entries) more may stay. 0 = keep no history.',
      format: 'rn-nat',
      default: 10000,
    },
    historyMaxAgeMs: {
      doc: 'Attempts older than this (ms) are dropped from the history when a run ends (in whole stream nodes). 0 = no age bound (console.historyMaxAttempts still holds).',
      format: 'rn-nat',
      default: 604800000,
    },
    deadLettersMax: {
      doc: 'Dead letters kept per endpoint; beyond it the oldest are dropped, with a warning line and the regnotify_dead_letters_dropped count (stats: deadDropped). 0 = no cap (in a Redis that never evicts, the list then grows without bound).',
      format: 'rn-nat',
      default: 10000,
    },
  },
  logging: {
    level: {
      doc: "Log level (pino). The top-level `log:` section belongs to the registry's config.yml and is ignored.",
      format: LOG_LEVELS,
      default: 'info',
    },
    format: {
      doc: 'json = one JSON object a line (for log shippers); pretty = readable lines (time, level, message, key=value); auto = pretty when standard output is a terminal, else json. Secrets are scrubbed either way.',
      format: ['auto', 'json', 'pretty'] as const,
      default: 'auto',
    },
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
