/** The endpoint keys of signing and CloudEvents: parsing, errors, environment, redaction. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { redactedConfig, secretValues } from '../../../src/config/secrets.js';
import { createLogger } from '../../../src/log.js';
import { formatHooks } from '../../../src/queue/delivery-format.js';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const endpoint = (extra: Record<string, unknown>) => ({
  env: {},
  overrides: { notifications: { endpoints: [{ name: 'a', url: 'http://a', ...extra }] } },
});
const first = (extra: Record<string, unknown>) =>
  loadConfig(endpoint(extra)).config.notifications.endpoints[0]!;

describe('signing.secrets, format, source', () => {
  it('default to unsigned envelopes: no hooks at all, so requests stay as the registry sends them', () => {
    const ep = first({});
    expect(ep).toMatchObject({ signing: { secrets: [] }, format: 'envelope', source: '' });
    expect(formatHooks(ep)).toEqual({});
  });

  it('read the file form', () => {
    const [s1, s2] = [secret(), secret()];
    const ep = first({
      signing: { secrets: [s1, s2] },
      format: 'cloudevents',
      source: 'https://registry.example.com',
    });
    expect(ep).toMatchObject({
      signing: { secrets: [s1, s2] },
      format: 'cloudevents',
      source: 'https://registry.example.com',
    });
    expect(Object.keys(formatHooks(ep)).sort()).toEqual(['encode', 'sign']);
  });

  it("read the registry's environment form", () => {
    const s1 = secret();
    const { config } = loadConfig({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_SIGNING_SECRETS: `[${s1}]`,
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_FORMAT: 'cloudevents',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_SOURCE: 'urn:registry:prod',
      },
    });
    expect(config.notifications.endpoints[0]).toMatchObject({
      signing: { secrets: [s1] },
      format: 'cloudevents',
      source: 'urn:registry:prod',
    });
  });

  it('refuse a bad secret naming the item, never echoing it', () => {
    const bad = `whsec_${randomBytes(8).toString('base64')}`;
    const load = () => loadConfig(endpoint({ signing: { secrets: [secret(), bad] } }));
    expect(load).toThrow(
      /notifications\.endpoints\[0\]\.signing\.secrets\[1\].*24 to 64 bytes, got 8/,
    );
    expect(load).not.toThrow(bad.slice(6));
    const scalar = secret();
    const notList = () => loadConfig(endpoint({ signing: { secrets: scalar } }));
    expect(notList).toThrow(/signing\.secrets: must be a list/);
    expect(notList).not.toThrow(scalar.slice(6));
    expect(() => loadConfig(endpoint({ signing: { secret: scalar } }))).toThrow(/signing.*secret/);
  });

  it('refuse a configured webhook-* header beside signing (the receiver would see two)', () => {
    for (const name of ['webhook-id', 'Webhook-Signature', 'WEBHOOK-TIMESTAMP']) {
      expect(() => first({ signing: { secrets: [secret()] }, headers: { [name]: ['x'] } })).toThrow(
        new RegExp(
          `endpoints\\[0\\]\\.headers: ${name} is set by signing\\.secrets; remove it from headers`,
        ),
      );
    }
    // Without signing the header is the user's to send.
    expect(first({ headers: { 'webhook-id': ['x'] } }).headers).toEqual({ 'webhook-id': ['x'] });
  });

  it('refuse an unknown format and a source that is no URI reference', () => {
    expect(() => first({ format: 'cloudevent' })).toThrow(
      /endpoints\[0\]\.format: must be envelope or cloudevents, got "cloudevent"/,
    );
    expect(() => first({ source: 'my registry' })).toThrow(
      /endpoints\[0\]\.source: must be a URI reference/,
    );
  });

  it('hide the secrets in `regnotify config` and in every log line', () => {
    const s1 = secret();
    const { config } = loadConfig(endpoint({ signing: { secrets: [s1] } }));
    expect(secretValues(config)).toEqual(expect.arrayContaining([s1, s1.slice(6)]));
    const printed = JSON.stringify(redactedConfig(config));
    expect(printed).not.toContain(s1.slice(6));
    expect(redactedConfig(config).notifications.endpoints[0]?.signing.secrets).toEqual([
      '[REDACTED]',
    ]);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger({ secrets: secretValues(config), destination });
    logger.info({ key: s1.slice(6) }, `secret ${s1}`);
    expect(lines.join('')).not.toContain(s1.slice(6));
  });
});
