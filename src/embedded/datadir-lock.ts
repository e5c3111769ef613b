/**
 * One embedded Redis per data directory. Two redis-servers appending to the same AOF would
 * corrupt it, so `regnotify start` takes an exclusive lock file in the directory first.
 *
 * The lock holds the pid of the owning regnotify process. A lock whose owner is gone is stale
 * (a crash, a SIGKILL) and is taken over — unless the redis-server that owner started is still
 * running on the directory (its `redis.pid` is alive): that orphan must be stopped first.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { RegnotifyError } from '../errors.js';

export const LOCK_FILE = 'regnotify-redis.lock';
export const REDIS_PID_FILE = 'redis.pid';

/** The data directory is in use by another embedded Redis. */
export class DataDirLockedError extends RegnotifyError {
  readonly dataDir: string;
  constructor(dataDir: string, detail: string) {
    super('ERR_REDIS_DATADIR_LOCKED', `embedded redis data dir ${dataDir} is in use: ${detail}`);
    this.dataDir = dataDir;
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Remove the lock file. Idempotent. */
  release(): Promise<void>;
}

/** Take the lock of `dataDir` (an existing, absolute directory) for process `ownerPid`. */
export async function lockDataDir(dataDir: string, ownerPid: number): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  // Two tries: the second after removing a stale lock.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${ownerPid}\n`);
      await handle.close();
      let released = false;
      return {
        file,
        release: async () => {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 2) throw err;
    }
    const holder = await readPid(file);
    if (holder !== undefined && isAlive(holder)) {
      throw new DataDirLockedError(dataDir, `regnotify process ${holder} holds ${file}`);
    }
    const orphan = await readPid(path.join(dataDir, REDIS_PID_FILE));
    if (orphan !== undefined && isAlive(orphan) && looksLikeRedis(orphan)) {
      throw new DataDirLockedError(
        dataDir,
        `redis-server ${orphan} from an earlier run still uses it; stop it (kill ${orphan}) and start again`,
      );
    }
    await rm(file, { force: true });
  }
  throw new DataDirLockedError(dataDir, 'could not take the lock');
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 probes existence; EPERM means it exists under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Guards against a recycled pid in a stale pidfile. Where /proc is missing (macOS) we cannot
 * tell, and err on the side of refusing.
 */
function looksLikeRedis(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !procAvailable();
  }
}

function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/cmdline');
    return true;
  } catch {
    return false;
  }
}
