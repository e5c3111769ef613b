/**
 * What the benchmarks share: child processes (receivers, servers, regnotify itself) on
 * 127.0.0.1, their CPU time, and the one line each benchmark ends with for bench/run.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));

export const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
export const numberArg = (name: string, fallback: number): number => Number(arg(name) ?? fallback);

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * A process's CPU seconds so far (user + system, from /proc; NaN off Linux). This VM's
 * throughput varies ±30 % from run to run (noisy neighbours); CPU per unit of work is steadier.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may contain spaces: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

export interface ServerChild {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a bench/ script that prints `PORT <n>` once listening on 127.0.0.1. */
export async function startServerChild(script: string, args: string[] = []): Promise<ServerChild> {
  const child = spawn(process.execPath, [path.join(benchDir, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`${script} exited`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, child, stop: () => stop(child) };
}

export interface ReceiverCounts {
  requests: number;
  events: number;
  pulls: Record<string, number>;
}

/** bench/receiver.ts's counts so far. */
export async function receiverCounts(url: string): Promise<ReceiverCounts> {
  const res = await fetch(`${url}/count`);
  return (await res.json()) as ReceiverCounts;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; fails if `child` exits. */
export async function waitListening(
  child: ChildProcess,
  port: number,
  what: string,
): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${what} exited (${code ?? signal})`));
  const deadline = performance.now() + 20_000;
  while (exited === undefined) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`${what}: not listening after 20 s`);
    await pause(50); // poll interval, bounded by the deadline
  }
  throw new Error(exited);
}

/** Polls `done` every `everyMs` until it holds; fails after `timeoutMs` saying `what`. */
export async function pollUntil(
  done: () => Promise<boolean>,
  what: string,
  timeoutMs = 120_000,
  everyMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await pause(everyMs);
  }
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, and wait for the exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The last line of a benchmark: its figures, for bench/run.ts to read. */
export function printResult(figures: Record<string, number>): void {
  process.stdout.write(`RESULT ${JSON.stringify(figures)}\n`);
}

/** `--profile=DIR`: node arguments that write a CPU profile of a child into DIR. */
export function profileArgs(): string[] {
  const dir = arg('profile');
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}
