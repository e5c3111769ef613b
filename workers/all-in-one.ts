/** Ingest + workers (+ embedded Redis, + the demo): `node dist/workers/all-in-one.js` (= `regnotify start`). */
import { parseCliArgs } from '../src/cli/args.js';
import { runStart } from './start.js';

await runStart(parseCliArgs(['start', ...process.argv.slice(2)]));
