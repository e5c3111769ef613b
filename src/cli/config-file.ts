/**
 * `regnotify config`: the effective configuration as a file that loads back as one —
 * regnotify's own sections under their schema names (src/config/schema.ts), the registry's
 * `notifications:` section under its lower-case keys (src/config/registry/keys.ts) with Go
 * durations, the TLS files by path — secrets replaced as src/config/secrets.ts does.
 */
import { stringify } from 'yaml';
import { formatGoDuration } from '../config/registry/duration.js';
import type { EndpointKey } from '../config/registry/keys.js';
import { redactedConfig } from '../config/secrets.js';
import type { EndpointSettings, RegnotifyConfig } from '../config/types.js';
import { REDACTED } from '../log.js';

const goDuration = (ms: number): string => formatGoDuration(ms * 1_000_000);

/**
 * Each key of an endpoint, read back from its settings. A Record over EndpointKey: a key added
 * to the table is a compile error here until it is printed too.
 */
const ENDPOINT_VALUES: Record<EndpointKey, (e: EndpointSettings) => unknown> = {
  name: (e) => e.name,
  disabled: (e) => e.disabled,
  url: (e) => e.url,
  headers: (e) => e.headers,
  timeout: (e) => goDuration(e.timeoutMs),
  threshold: (e) => e.threshold,
  backoff: (e) => goDuration(e.backoffMs),
  ignoredmediatypes: (e) => e.ignoredMediaTypes,
  'ignore.mediatypes': (e) => e.ignore.mediaTypes,
  'ignore.actions': (e) => e.ignore.actions,
  mediatype: (e) => e.mediaType,
  maxbatch: (e) => e.maxBatch,
  ordering: (e) => e.ordering,
  concurrency: (e) => e.concurrency,
  maxretries: (e) => e.maxRetries,
  maxage: (e) => goDuration(e.maxAgeMs),
  'ratelimit.max': (e) => e.rateLimit.max,
  'ratelimit.per': (e) => goDuration(e.rateLimit.perMs),
  retryafter: (e) => e.retryAfter,
  retryaftermax: (e) => goDuration(e.retryAfterMaxMs),
  'tls.ca': (e) => e.tls.caFile,
  'tls.certificate': (e) => e.tls.certFile,
  'tls.key': (e) => e.tls.keyFile,
  'tls.insecureskipverify': (e) => e.tls.insecureSkipVerify,
  'repositories.include': (e) => e.repositories.include,
  'repositories.exclude': (e) => e.repositories.exclude,
  'tags.include': (e) => e.tags.include,
  'tags.exclude': (e) => e.tags.exclude,
  'signing.secrets': (e) => e.signing.secrets,
  format: (e) => e.format,
  source: (e) => e.source,
};

type Doc = Record<string, unknown>;

function endpointDoc(e: EndpointSettings): Doc {
  const doc: Doc = {};
  type Reader = (e: EndpointSettings) => unknown;
  for (const [key, read] of Object.entries(ENDPOINT_VALUES) as [EndpointKey, Reader][]) {
    const [first, second] = key.split('.') as [string, string?];
    if (second === undefined) doc[first] = read(e);
    else ((doc[first] ??= {}) as Doc)[second] = read(e);
  }
  return doc;
}

/** The configuration as a document in the file's own names, secrets hidden. */
export function configDocument(config: RegnotifyConfig): Doc {
  const { notifications, ...own } = redactedConfig(config);
  return {
    ...own,
    notifications: {
      events: { includereferences: notifications.includeReferences },
      endpoints: notifications.endpoints.map(endpointDoc),
    },
  };
}

export const CONFIG_HEADER = `The effective configuration of regnotify (defaults < the file < the environment).
It loads back as a configuration file (regnotify --config FILE), except that every secret is
shown as ${REDACTED} (in a URL as REDACTED or ***): put the real values back first.`;

/**
 * The document as YAML read the registry's way (YAML 1.1, as yaml.v2 and src/config/registry/yaml.ts
 * read it): a string such as `on` or `0x1F` is quoted, so it loads back as a string.
 */
export function configYaml(config: RegnotifyConfig): string {
  const header = CONFIG_HEADER.split('\n').map((l) => `# ${l}\n`);
  return header.join('') + stringify(configDocument(config), { version: '1.1', lineWidth: 0 });
}
