import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/unit (no services), test/integration (real Redis, HTTP, child processes),
    // test/contract (other software: BullMQ on Redis, the real registry), test/chaos (faults
    // under load), test/e2e (the real registry through regnotify). A contract or end-to-end
    // test whose program is missing fails with the install command; it never skips.
    include: ['test/**/*.test.ts'],
    // Integration tests start their own redis-server and child processes; keep the 2-core
    // machine from being oversubscribed.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
