/** The ingest process: `node dist/workers/ingest.js [--config FILE]` (= `regnotify ingest`). */
import { main } from './main.js';

await main(['ingest', ...process.argv.slice(2)]);
