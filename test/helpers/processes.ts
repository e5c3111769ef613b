/**
 * Child Node processes for tests that need a real crash (kill -9 mid-delivery) or several
 * worker processes. Every child is tracked: `reapChildren()` (use it as afterEach/afterAll)
 * SIGKILLs what is left and fails the test that leaked it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built `regnotify` command, dist/workers/regnotify.js (`npm run build` first). */
export const cli = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'workers',
  'regnotify.js',
);

export interface SpawnNodeOptions {
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly pid: number;
  /** Everything written to stdout so far. */
  readonly stdout: string;
  readonly stderr: string;
  /**
   * Resolves with the first line (stdout or stderr, from the start of the process) matching
   * `re`; rejects on timeout or if the process exits first, quoting the output.
   */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<ChildExit>;
}

interface Tracked {
  child: Child;
  script: string;
  done: boolean;
}

const tracked = new Set<Tracked>();
process.once('exit', () => {
  for (const t of tracked) if (!t.done) t.child.kill('SIGKILL');
});

export function spawnNode(
  script: string,
  args: string[] = [],
  options: SpawnNodeOptions = {},
): Child {
  const [command, argv] = dieWithParent(process.execPath, [script, ...args]);
  const proc = spawn(command, argv, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  if (proc.pid === undefined) throw new Error(`spawnNode: could not start ${script}`);
  const out = { stdout: '', stderr: '' };
  const lineListeners = new Set<() => void>();
  proc.stdout?.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString('utf8');
    for (const l of [...lineListeners]) l();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    out.stderr += chunk.toString('utf8');
    for (const l of [...lineListeners]) l();
  });
  const exited = exitOf(proc);
  const child: Child = {
    pid: proc.pid,
    get stdout(): string {
      return out.stdout;
    },
    get stderr(): string {
      return out.stderr;
    },
    waitForLine: (re, timeoutMs = 10_000) => waitForLine(out, lineListeners, exited, re, timeoutMs),
    kill(signal: NodeJS.Signals = 'SIGTERM'): void {
      proc.kill(signal);
    },
    exited,
  };
  const entry: Tracked = { child, script, done: false };
  tracked.add(entry);
  void exited.then(() => (entry.done = true));
  return child;
}

/**
 * SIGKILLs every child still running and waits for them; throws if there were any, so the test
 * (or file) that forgot to end its children fails. Children that exited are forgotten.
 */
export async function reapChildren(): Promise<void> {
  const leaked = [...tracked].filter((t) => !t.done);
  for (const t of leaked) t.child.kill('SIGKILL');
  await Promise.all(leaked.map((t) => t.child.exited));
  tracked.clear();
  if (leaked.length > 0) {
    const list = leaked.map((t) => `pid ${t.child.pid} (${t.script})`).join(', ');
    throw new Error(
      `${leaked.length} child process(es) still running after the test, killed: ${list}`,
    );
  }
}

/**
 * Wraps a command so the kernel SIGKILLs it when the test process dies (`setpriv --pdeathsig`,
 * which then execs the command: the pid stays the command's own). Vitest ends its workers
 * without running 'exit' handlers, so without this a failed or killed test run leaves
 * redis-servers and workers behind. Falls back to the bare command where setpriv is missing.
 */
export function dieWithParent(command: string, args: string[]): [string, string[]] {
  const setpriv = findOnPath('setpriv');
  if (setpriv === undefined || process.platform !== 'linux') return [command, args];
  return [setpriv, ['--pdeathsig', 'KILL', command, ...args]];
}

/** The full path of an executable on PATH, or undefined. */
export function findOnPath(bin: string): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.join(dir, bin);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function exitOf(proc: ChildProcess): Promise<ChildExit> {
  return new Promise((resolve) => {
    // 'close', not 'exit': it fires after stdout/stderr are drained, so the output is complete.
    proc.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function waitForLine(
  out: { stdout: string; stderr: string },
  listeners: Set<() => void>,
  exited: Promise<ChildExit>,
  re: RegExp,
  timeoutMs: number,
): Promise<string> {
  const find = (): string | undefined =>
    [...out.stdout.split('\n'), ...out.stderr.split('\n')].find((line) => re.test(line));
  return new Promise((resolve, reject) => {
    const finish = (err: Error | undefined, line?: string): void => {
      clearTimeout(timer);
      listeners.delete(check);
      if (err !== undefined) reject(err);
      else resolve(line ?? '');
    };
    const describe = (why: string): Error =>
      new Error(
        `waitForLine ${String(re)}: ${why}\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`,
      );
    const check = (): void => {
      const line = find();
      if (line !== undefined) finish(undefined, line);
    };
    const timer = setTimeout(
      () => finish(describe(`no such line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    listeners.add(check);
    // Output flushed before the exit event is checked first, so a line printed just before
    // exiting still counts.
    void exited.then((e) => {
      check();
      finish(describe(`process exited first (code ${String(e.code)}, signal ${String(e.signal)})`));
    });
    check();
  });
}
