/**
 * `regnotify start`: ingest + workers in one process. With no endpoint configured it runs the
 * demo: the bundled receiver on 127.0.0.1:<port> prints every event it gets, and one endpoint
 * points at it. With no Redis configured the app runs a private redis-server.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { CliArgs } from '../src/cli/args.js';
import { startPrintReceiver } from '../src/embedded/print-receiver.js';
import { loadOrExit, runService } from './service.js';

const DemoPort = 5055;

function onPath(bin: string): boolean {
  if (bin.includes('/')) return canRun(bin);
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && canRun(path.join(dir, bin)));
}

function canRun(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** With --install-redis on Debian/Ubuntu as root: install redis-server, saying so first. */
function ensureRedisServer(bin: string): void {
  if (onPath(bin)) return;
  const root = process.getuid?.() === 0;
  if (!root || !onPath('apt-get')) {
    process.stderr.write(
      `regnotify: ${bin} not found on PATH. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or point redis.url / REGNOTIFY_REDIS_URL at an existing Redis.\n`,
    );
    process.exit(1);
  }
  process.stderr.write(
    'regnotify: redis-server not found; installing it with apt-get (Debian package redis-server)...\n',
  );
  for (const argv of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'redis-server'],
  ]) {
    const run = spawnSync('apt-get', argv, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (run.status !== 0) {
      process.stderr.write(`regnotify: apt-get ${argv.join(' ')} failed (exit ${run.status})\n`);
      process.exit(1);
    }
  }
}

export async function runStart(args: CliArgs): Promise<void> {
  const probe = loadOrExit(args.config);
  const embedded =
    !probe.redis.url &&
    probe.redis.cluster.nodes.length === 0 &&
    probe.redis.sentinel.sentinels.length === 0;
  if (embedded && args.installRedis) ensureRedisServer(probe.redis.embedded.bin);
  const roles = { ingest: true, workers: true };
  const configFile = args.config !== undefined ? { configFile: args.config } : {};
  if (probe.notifications.endpoints.length > 0) return runService({ roles, ...configFile });

  const port = args.port ?? DemoPort;
  await runService({
    roles,
    ...configFile,
    overrides: {
      notifications: { endpoints: [{ name: 'demo', url: `http://127.0.0.1:${port}/events` }] },
    },
    beforeStart: async (config) => {
      const receiver = await startPrintReceiver({
        port,
        host: '127.0.0.1',
        out: (line) => process.stdout.write(`${line}\n`),
      });
      const ingest = `http://${config.ingest.addr.startsWith(':') ? `0.0.0.0${config.ingest.addr}` : config.ingest.addr}${config.ingest.path}`;
      process.stderr.write(
        [
          'regnotify demo: no endpoint configured, so events go to the bundled receiver, which prints them here.',
          `  ingest:   ${ingest}   (point a registry's notifications endpoint here)`,
          `  endpoint: demo -> ${receiver.url}`,
          `  try:      curl -s -H 'Content-Type: application/vnd.docker.distribution.events.v1+json' --data-binary @examples/sample-envelope.json ${ingest}`,
          '',
        ].join('\n'),
      );
      return () => receiver.close();
    },
  });
}

/** `regnotify receiver`: the demo receiver alone, until SIGTERM/SIGINT. */
export async function runDemoReceiver(port: number): Promise<void> {
  const receiver = await startPrintReceiver({
    port,
    host: '127.0.0.1',
    out: (line) => process.stdout.write(`${line}\n`),
  });
  process.stderr.write(`regnotify receiver: listening on ${receiver.url}\n`);
  const stop = async () => {
    await receiver.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
