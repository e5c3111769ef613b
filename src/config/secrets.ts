/**
 * What in a loaded config is secret: the logger scrubs these strings from every line, and
 * `redactedConfig` is what `regnotify config` style commands may print.
 */
import { REDACTED } from '../log.js';
import { SecretPrefix } from '../sinks/signing.js';
import { displayUrl, urlSecrets } from '../sinks/url-display.js';
import type { EndpointSettings, RegnotifyConfig } from './types.js';

function urlPassword(url: string): string {
  if (url === '') return '';
  try {
    const u = new URL(url);
    return u.password === '' ? '' : decodeURIComponent(u.password);
  } catch {
    return '';
  }
}

/** Header values, plus the credential part of `<scheme> <credential>` values (Bearer, Basic…). */
function headerSecrets(e: EndpointSettings): string[] {
  const out: string[] = [];
  for (const values of Object.values(e.headers)) {
    for (const v of values) {
      out.push(v);
      const m = /^[A-Za-z-]+ +(\S.*)$/.exec(v);
      if (m?.[1] !== undefined) out.push(m[1]);
    }
  }
  return out;
}

/**
 * Every secret value of the config, non-empty, deduplicated, longest first (scrub order).
 * An endpoint URL gives its userinfo password (in each spelling, and as the Basic credential
 * sent for it) and its query values that look like secrets (see urlSecrets: a short value such
 * as `?v=1` would otherwise blank every "1" in every log line; every query value is hidden in
 * the display form anyway).
 */
export function secretValues(config: RegnotifyConfig): string[] {
  const all = [
    config.redis.password,
    urlPassword(config.redis.url),
    config.ingest.auth.token,
    config.ingest.auth.password,
    config.metrics.token,
    config.console.token,
    ...config.notifications.endpoints.flatMap((e) => [
      ...headerSecrets(e),
      e.tls.key,
      // The key's base64 alone too: a log line may quote it without the prefix.
      ...e.signing.secrets.flatMap((s) => [s, s.slice(SecretPrefix.length)]),
      ...urlSecrets(e.url),
    ]),
  ];
  return [...new Set(all.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
}

function redactUrl(url: string): string {
  if (urlPassword(url) === '') return url;
  const u = new URL(url);
  u.password = 'REDACTED'; // brackets would be percent-encoded in a URL
  return u.toString();
}

const hide = (s: string): string => (s === '' ? '' : REDACTED);
const pem = (s: string): string => (s === '' ? '' : `[PEM, ${s.length} bytes]`);

/** A copy of `config` safe to print: secrets replaced, PEM contents summarised. */
export function redactedConfig(config: RegnotifyConfig): RegnotifyConfig {
  const c = structuredClone(config);
  c.redis.url = redactUrl(c.redis.url);
  c.redis.password = hide(c.redis.password);
  c.ingest.auth.token = hide(c.ingest.auth.token);
  c.ingest.auth.password = hide(c.ingest.auth.password);
  c.metrics.token = hide(c.metrics.token);
  c.console.token = hide(c.console.token);
  for (const e of c.notifications.endpoints) {
    e.url = displayUrl(e.url);
    for (const name of Object.keys(e.headers)) e.headers[name] = (e.headers[name] ?? []).map(hide);
    e.tls = { ...e.tls, ca: pem(e.tls.ca), cert: pem(e.tls.cert), key: hide(e.tls.key) };
    e.signing = { secrets: e.signing.secrets.map(hide) };
  }
  return c;
}
