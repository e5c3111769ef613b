/** The ingest process: `node dist/workers/ingest.js [--config FILE]` (= `regnotify ingest`). */
import { parseCliArgs } from '../src/cli/args.js';
import { runService } from './service.js';

const args = parseCliArgs(['ingest', ...process.argv.slice(2)]);
await runService({
  roles: { ingest: true, workers: false },
  ...(args.config ? { configFile: args.config } : {}),
});
