/** The delivery-worker process: `node dist/workers/work.js [--config FILE] [--endpoint NAME…]`. */
import { parseCliArgs } from '../src/cli/args.js';
import { runService } from './service.js';

const args = parseCliArgs(['work', ...process.argv.slice(2)]);
await runService({
  roles: { ingest: false, workers: true },
  ...(args.config ? { configFile: args.config } : {}),
  ...(args.endpoints.length > 0 ? { overrides: { workers: { endpoints: args.endpoints } } } : {}),
});
