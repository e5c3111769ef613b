/**
 * Network partitions on 127.0.0.1: every TCP packet to or from one local port is dropped (not
 * refused) with iptables, so the peers see a silent network — connections stay "open", writes
 * are retransmitted, nothing answers — until `heal()`.
 *
 *   iptables -w -I INPUT -i lo -p tcp --dport P -m comment --comment regnotify-chaos:<pid>:P -j DROP
 *   iptables -w -I INPUT -i lo -p tcp --sport P -m comment --comment regnotify-chaos:<pid>:P -j DROP
 *
 * Needs root and the `iptables` package (Debian/Ubuntu: apt-get install -y iptables). Every rule
 * carries a comment naming this process, so heal(), healAll() and the exit hook remove exactly
 * ours; rules left by a test process that was SIGKILLed are removed when this module loads.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { findOnPath } from './processes.js';

const run = promisify(execFile);
const TAG = 'regnotify-chaos';

export interface Partition {
  readonly port: number;
  /** When the rules were in place (performance.timeOrigin + performance.now(), like receiver.ts). */
  readonly cutAt: number;
  /** Removes this partition's rules; resolves with the time they were gone. Idempotent. */
  heal(): Promise<number>;
}

/**
 * Why partitions cannot be made here, or undefined when they can. Tests call it first and fail
 * with this text: a chaos test that silently skips hides the guarantee it checks.
 */
export function iptablesProblem(): string | undefined {
  const bin = findOnPath('iptables');
  if (bin === undefined)
    return 'iptables not found: partition tests need it (Debian/Ubuntu: apt-get install -y iptables) and root';
  const probe = spawnSync(bin, ['-w', '-S', 'INPUT'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0)
    return `iptables -S INPUT failed (partition tests need root / CAP_NET_ADMIN): ${probe.stderr.trim()}`;
  return undefined;
}

function ruleArgs(action: '-I' | '-D', port: number, direction: '--dport' | '--sport'): string[] {
  const comment = `${TAG}:${process.pid}:${port}`;
  return [
    '-w', action, 'INPUT', '-i', 'lo', '-p', 'tcp', direction, String(port),
    '-m', 'comment', '--comment', comment, '-j', 'DROP',
  ]; // prettier-ignore
}

const active = new Map<number, Partition>();

/** Drops every packet to and from `port` on the loopback interface until heal(). */
export async function cutPort(port: number): Promise<Partition> {
  if (active.has(port)) throw new Error(`cutPort: port ${port} is already cut`);
  await run('iptables', ruleArgs('-I', port, '--dport'));
  await run('iptables', ruleArgs('-I', port, '--sport'));
  let healed: Promise<number> | undefined;
  const partition: Partition = {
    port,
    cutAt: now(),
    heal(): Promise<number> {
      healed ??= (async () => {
        await run('iptables', ruleArgs('-D', port, '--dport'));
        await run('iptables', ruleArgs('-D', port, '--sport'));
        active.delete(port);
        return now();
      })();
      return healed;
    },
  };
  active.set(port, partition);
  return partition;
}

/** Heals every partition this process made (use it in afterEach). */
export async function healAll(): Promise<void> {
  await Promise.all([...active.values()].map((p) => p.heal()));
}

/** Rules carrying our tag, as `iptables -S` prints them, parsed into argument lists. */
function taggedRules(): string[][] {
  const listed = spawnSync('iptables', ['-w', '-S', 'INPUT'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (listed.status !== 0) return [];
  return listed.stdout
    .split('\n')
    .filter((line) => line.startsWith('-A INPUT') && line.includes(`${TAG}:`))
    .map((line) => line.replaceAll('"', '').split(/\s+/));
}

function removeRules(owned: (pid: number) => boolean): void {
  for (const rule of taggedRules()) {
    const comment = rule[rule.indexOf('--comment') + 1] ?? '';
    const pid = Number(comment.split(':')[1]);
    if (!owned(pid)) continue;
    spawnSync('iptables', ['-w', '-D', ...rule.slice(1)], { timeout: 10_000 });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

if (findOnPath('iptables') !== undefined) {
  // A test process killed with SIGKILL runs no exit hook: sweep its rules now, and ours at exit.
  removeRules((pid) => Number.isInteger(pid) && pid !== process.pid && !alive(pid));
  process.once('exit', () => {
    if (active.size > 0) removeRules((pid) => pid === process.pid);
  });
}
