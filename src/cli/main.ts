/**
 * The `regnotify` command, given its parsed arguments: loads the configuration the command
 * needs and runs it. Returns a runner at once; the entry point (workers/) maps signals to
 * `stop` and `done` to the exit code. See `regnotify --help`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppRoles } from '../app.js';
import type { RegnotifyConfig } from '../config/types.js';
import { toError } from '../errors.js';
import {
  DEMO_RECEIVER_PORT,
  demoOverrides,
  startDemo,
  startDemoReceiver,
} from '../embedded/demo.js';
import { usesEmbeddedRedis } from '../redis-settings.js';
import { secretProblem } from '../sinks/signing.js';
import type { CliArgs } from './args.js';
import { printConfig, runOperatorCommand } from './commands.js';
import { commandHelpText } from './command-help.js';
import { helpText } from './help.js';
import { installRedisServer } from './install-redis.js';
import { loadCommandConfig } from './load.js';
import { exitSignal, finished } from './runner.js';
import type { CliIo, Runner } from './runner.js';
import { runService } from './service.js';

export interface RunOptions extends CliIo {
  args: CliArgs;
}

export function run(options: RunOptions): Runner {
  const { args, ...io } = options;
  if (args.version) {
    io.stdout(`regnotify ${packageVersion(io.packageRoot)}\n`);
    return finished(0);
  }
  const command = args.help ? 'help' : args.command;
  switch (command) {
    case 'help': {
      // `<command> --help` and `help <command>`: that command's help; else the whole text.
      const topic = args.command === 'help' ? args.topic : args.command;
      io.stdout(topic === undefined || topic === 'help' ? helpText() : commandHelpText(topic));
      return finished(0);
    }
    case 'receiver':
      return runReceiver(args.port ?? DEMO_RECEIVER_PORT, args.secrets, io);
    case 'start':
      return withConfig(args, io, (config) => runStart(args, config, io));
    case 'ingest':
      return withConfig(args, io, (config) =>
        service(config, { ingest: true, workers: false }, io),
      );
    case 'work':
      return withConfig(args, io, (config) =>
        service(config, { ingest: false, workers: true }, io),
      );
    case 'config':
      return withConfig(args, io, (config) => finished(printConfig(config, args.json, io)));
    case 'stats':
    case 'dead':
    case 'replay':
    case 'pause':
    case 'resume':
    case 'trace':
      return withConfig(args, io, (config) => ({
        done: runOperatorCommand(command, args, config, io),
      }));
  }
}

/** Runs `fn` with the configuration, or exits with code 2 when it is invalid (having said why). */
function withConfig(args: CliArgs, io: CliIo, fn: (config: RegnotifyConfig) => Runner): Runner {
  const config = loadCommandConfig(
    {
      ...configFile(args),
      // `work --endpoint NAME…` serves those endpoints only.
      ...(args.command === 'work' && args.endpoints.length > 0
        ? { overrides: { workers: { endpoints: args.endpoints } } }
        : {}),
    },
    io,
  );
  return config === undefined ? finished(2) : fn(config);
}

function configFile(args: CliArgs): { file?: string } {
  return args.config !== undefined ? { file: args.config } : {};
}

/** `start`: ingest and workers in one process; the demo when no endpoint is configured. */
function runStart(args: CliArgs, config: RegnotifyConfig, io: CliIo): Runner {
  if (args.installRedis && usesEmbeddedRedis(config)) {
    if (!installRedisServer(config.redis.embedded.bin, io)) return finished(1);
  }
  const roles = { ingest: true, workers: true };
  if (config.notifications.endpoints.length > 0) return service(config, roles, io);
  const port = args.port ?? DEMO_RECEIVER_PORT;
  // The same sources plus the demo's endpoint: their warnings were said above.
  const demo = loadCommandConfig(
    { ...configFile(args), overrides: demoOverrides(port), quiet: true },
    io,
  );
  if (demo === undefined) return finished(2);
  return service(demo, roles, io, (c) => startDemo(c, port, io));
}

function service(
  config: RegnotifyConfig,
  roles: AppRoles,
  io: CliIo,
  startFirst?: (config: RegnotifyConfig) => Promise<() => Promise<void>>,
): Runner {
  const { format } = config.logging;
  const pretty = format === 'pretty' || (format === 'auto' && io.stdoutIsTTY === true);
  return runService({
    config,
    roles,
    stderr: io.stderr,
    log: { format: pretty ? 'pretty' : 'json', colour: pretty && io.stdoutIsTTY === true },
    ...(startFirst ? { startFirst } : {}),
  });
}

/** `receiver`: the demo's receiver alone, until stopped; `--secret`s are checked first. */
function runReceiver(port: number, secrets: readonly string[], io: CliIo): Runner {
  for (const [i, secret] of secrets.entries()) {
    const problem = secretProblem(secret);
    if (problem === undefined) continue;
    io.stderr(`regnotify receiver: --secret (the ${ordinal(i)}): ${problem}\n`);
    return finished(2);
  }
  const { done, exit } = exitSignal();
  const receiver = startDemoReceiver(port, io.stdout, secrets).then(
    (r) => {
      io.stderr(`regnotify receiver: listening on ${r.url}\n`);
      return r;
    },
    (err: unknown) => {
      io.stderr(`regnotify receiver: ${toError(err).message}\n`);
      exit(1);
      return undefined;
    },
  );
  const stop = async (): Promise<void> => {
    await (await receiver)?.close();
    exit(0);
  };
  return { done, stop };
}

const ordinal = (i: number): string => ['1st', '2nd', '3rd'][i] ?? `${i + 1}th`;

function packageVersion(packageRoot: string): string {
  const text = readFileSync(path.join(packageRoot, 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
