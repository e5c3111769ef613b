/** Ingest + workers (+ embedded Redis, + the demo): `node dist/workers/all-in-one.js` (= `regnotify start`). */
import { main } from './main.js';

await main(['start', ...process.argv.slice(2)]);
