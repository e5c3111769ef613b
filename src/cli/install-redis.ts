/**
 * `regnotify start --install-redis` (what `npm start` runs): before the embedded Redis starts,
 * scripts/install-redis.sh installs redis-server if it is missing (Debian/Ubuntu, as root,
 * saying so first; see the script). Its output and apt-get's go straight to this process's
 * stderr as they come: an installation takes a while and should be seen doing it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CliIo } from './runner.js';

/** False when the installation failed (the script or this says why). */
export function installRedisServer(
  bin: string,
  io: Pick<CliIo, 'env' | 'stderr' | 'packageRoot'>,
): boolean {
  const script = path.join(io.packageRoot, 'scripts', 'install-redis.sh');
  // An installed package has no scripts/: then nothing is installed, and a missing
  // redis-server is reported by the start with the install hint.
  if (!existsSync(script)) return true;
  const run = spawnSync('sh', [script, bin], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...io.env },
  });
  if (run.error) io.stderr(`regnotify: cannot run ${script}: ${run.error.message}\n`);
  return run.status === 0;
}
