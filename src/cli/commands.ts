/**
 * The one-shot commands: `regnotify stats|dead|replay|pause|resume` (read or change an
 * endpoint's state in Redis, through ./operator.ts) and `regnotify config`. Each returns the
 * process's exit code; what it prints goes through `io`.
 */
import type { RegnotifyConfig } from '../config/types.js';
import { toError } from '../errors.js';
import { createRedisClient, waitReady } from '../queue/connection.js';
import { knownRedisSettings } from '../redis-settings.js';
import type { CliArgs, Command } from './args.js';
import { CONFIG_HEADER, configDocument, configYaml } from './config-file.js';
import { configuredFilter, resolveEndpoints, UnknownEndpointError } from '../console/endpoints.js';
import { ConsoleRequestError } from '../console/errors.js';
import { Console } from '../console/ops.js';
import type { Selection } from '../console/ops.js';
import { formatDeadLetters, formatStats, formatTrace } from './operator.js';
import type { CliIo, ExitCode } from './runner.js';

export type OperatorCommand = Extract<
  Command,
  'stats' | 'dead' | 'replay' | 'pause' | 'resume' | 'trace'
>;

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
    const ops = new Console({
      client,
      prefix: config.redis.prefix,
      resolve: (named) => resolveEndpoints(client, config, named),
      filterOf: (name) => configuredFilter(config, name),
    });
    await operate(command, ops, args, io);
    return 0;
  } catch (err) {
    io.stderr(`regnotify: ${toError(err).message}\n`);
    return err instanceof UnknownEndpointError || err instanceof ConsoleRequestError ? 2 : 1;
  } finally {
    client.disconnect();
  }
}

/** --id … or --all, exactly one of them. */
function selection(what: string, args: CliArgs): Selection {
  if (args.all === args.ids.length > 0) {
    throw new ConsoleRequestError(
      `${what}: name the dead letters with --id ID (repeatable) or --all`,
    );
  }
  return args.all ? { all: true } : { ids: args.ids };
}

async function operate(
  command: OperatorCommand,
  ops: Console,
  args: CliArgs,
  io: Io,
): Promise<void> {
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  if (command === 'stats') {
    const stats = await ops.endpoints(args.endpoints);
    return args.json ? json(stats) : io.stdout(`${formatStats(stats)}\n`);
  }
  if (command === 'trace') {
    const events = await ops.trace(args.query ?? '');
    return args.json ? json(events) : io.stdout(formatTrace(args.query ?? '', events));
  }
  if (args.endpoints.length !== 1) {
    throw new ConsoleRequestError(`${command}: name exactly one endpoint with --endpoint`);
  }
  const name = args.endpoints[0]!;
  switch (command) {
    case 'dead': {
      if (args.drop) {
        const { dropped } = await ops.drop(name, selection('dead drop', args));
        return args.json ? json({ dropped }) : io.stdout(`dropped ${dropped} dead letter(s)\n`);
      }
      const letters = await ops.deadLetters(name);
      return args.json ? json(letters) : io.stdout(formatDeadLetters(letters));
    }
    case 'replay': {
      const { replayed } = await ops.replay(name, selection('replay', args));
      return args.json ? json({ replayed }) : io.stdout(`replayed ${replayed} event(s)\n`);
    }
    case 'pause':
    case 'resume':
      await ops.setPaused(name, command === 'pause');
      io.stdout(`${name}: ${command === 'pause' ? 'paused' : 'resumed'}\n`);
      return;
  }
}
