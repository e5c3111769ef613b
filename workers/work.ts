/** The delivery-worker process: `node dist/workers/work.js [--config FILE] [--endpoint NAME…]`. */
import { main } from './main.js';

await main(['work', ...process.argv.slice(2)]);
