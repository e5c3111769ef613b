/**
 * The one-shot commands: `regnotify stats|dead|replay|pause|resume` (read or change an
 * endpoint's state in Redis, through ./operator.ts) and `regnotify config`. Each returns the
 * process's exit code; what it prints goes through `io`.
 */
import type { RegnotifyConfig } from '../config/types.js';
import { toError } from '../errors.js';
import { createRedisClient, waitReady } from '../queue/connection.js';
import type { RedisClient } from '../queue/connection.js';
import { knownRedisSettings } from '../redis-settings.js';
import type { CliArgs, Command } from './args.js';
import { CONFIG_HEADER, configDocument, configYaml } from './config-file.js';
import { resolveEndpoints, UnknownEndpointError } from './endpoints.js';
import {
  deadLetters,
  endpointStats,
  formatStats,
  replayDeadLetters,
  setPaused,
} from './operator.js';
import type { CliIo, ExitCode } from './runner.js';

export type OperatorCommand = Extract<Command, 'stats' | 'dead' | 'replay' | 'pause' | 'resume'>;

type Io = Pick<CliIo, 'stdout' | 'stderr'>;

/** How long a command waits for Redis to be reachable before giving up. */
const READY_TIMEOUT_MS = 5000;

/**
 * `regnotify config`: the effective configuration as a file that loads back (./config-file.ts),
 * secrets hidden; `--json` prints the same as JSON, its header said on stderr.
 */
export function printConfig(config: RegnotifyConfig, json: boolean, io: Io): ExitCode {
  if (!json) {
    io.stdout(configYaml(config));
    return 0;
  }
  io.stderr(`regnotify: ${CONFIG_HEADER.replaceAll('\n', ' ')}\n`);
  io.stdout(`${JSON.stringify(configDocument(config), null, 2)}\n`);
  return 0;
}

export async function runOperatorCommand(
  command: OperatorCommand,
  args: CliArgs,
  config: RegnotifyConfig,
  io: Io,
): Promise<ExitCode> {
  const settings = knownRedisSettings(config);
  if (settings === undefined) {
    io.stderr(
      'regnotify: set redis.url (redis.embedded.port is 0, so there is no known embedded Redis)\n',
    );
    return 2;
  }
  const client = createRedisClient(settings, 'producer');
  client.on('error', () => {}); // waitReady says why when Redis cannot be reached
  try {
    await waitReady(client, READY_TIMEOUT_MS);
    const names = await resolveEndpoints(client, config, args.endpoints);
    await operate(command, { client, prefix: config.redis.prefix, names, json: args.json }, io);
    return 0;
  } catch (err) {
    io.stderr(`regnotify: ${toError(err).message}\n`);
    return err instanceof UnknownEndpointError ? 2 : 1;
  } finally {
    client.disconnect();
  }
}

interface Target {
  client: RedisClient;
  prefix: string;
  /** The endpoints named with --endpoint, else every enabled one, else those in Redis. */
  names: string[];
  json: boolean;
}

async function operate(command: OperatorCommand, t: Target, io: Io): Promise<void> {
  const { client, prefix } = t;
  if (command === 'stats') {
    const stats = await endpointStats(client, prefix, t.names);
    io.stdout(t.json ? `${JSON.stringify(stats, null, 2)}\n` : `${formatStats(stats)}\n`);
    return;
  }
  if (t.names.length !== 1) {
    throw new Error(`${command}: name exactly one endpoint with --endpoint`);
  }
  const name = t.names[0]!;
  switch (command) {
    case 'dead': {
      const letters = await deadLetters(client, prefix, name);
      if (t.json) return io.stdout(`${JSON.stringify(letters, null, 2)}\n`);
      for (const d of letters) {
        const at = new Date(d.at).toISOString();
        io.stdout(`${at} ${d.id} ${d.reason}: ${d.detail} (attempts ${d.attempts})\n`);
      }
      return;
    }
    case 'replay':
      io.stdout(`replayed ${await replayDeadLetters(client, prefix, name)} event(s)\n`);
      return;
    case 'pause':
    case 'resume':
      await setPaused(client, prefix, name, command === 'pause');
      io.stdout(`${name}: ${command === 'pause' ? 'paused' : 'resumed'}\n`);
      return;
  }
}
