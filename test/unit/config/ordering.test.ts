/** The endpoint key `ordering: repository` with `concurrency`: file and environment forms. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

describe('ordering: repository', () => {
  it('takes a concurrency > 1, in the file form', () => {
    const { config } = loadConfig({
      env: {},
      overrides: {
        notifications: {
          endpoints: [{ name: 'a', url: 'http://a', ordering: 'repository', concurrency: 16 }],
        },
      },
    });
    expect(config.notifications.endpoints[0]).toMatchObject({
      ordering: 'repository',
      concurrency: 16,
    });
  });

  it("and in the registry's environment form", () => {
    const { config } = loadConfig({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_ORDERING: 'repository',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_CONCURRENCY: '8',
      },
    });
    expect(config.notifications.endpoints[0]).toMatchObject({
      ordering: 'repository',
      concurrency: 8,
    });
  });
});
