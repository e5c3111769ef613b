import { parseArgs } from 'node:util';
import { RegnotifyError } from '../errors.js';

export const Commands = [
  'start',
  'ingest',
  'work',
  'receiver',
  'stats',
  'dead',
  'replay',
  'pause',
  'resume',
  'trace',
  'config',
  'help',
] as const;
export type Command = (typeof Commands)[number];

export interface CliArgs {
  command: Command;
  config?: string;
  endpoints: string[];
  port?: number;
  /** `receiver --secret whsec_…` (repeatable): verify each request's signature. */
  secrets: string[];
  json: boolean;
  /** `dead drop`: the one sub-command (the dead letters are dropped instead of listed). */
  drop: boolean;
  /** Dead letters named with --id (replay, dead drop). */
  ids: string[];
  /** --all: every dead letter (replay, dead drop). */
  all: boolean;
  /** `trace QUERY`: an event id, repository[:tag] or digest. */
  query?: string;
  installRedis: boolean;
  help: boolean;
  /** `regnotify help <command>`: the command whose help to print. */
  topic?: Command;
  version: boolean;
}

/** A command line that does not parse: an unknown command or option, a missing argument. */
export class UsageError extends RegnotifyError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

const isCommand = (name: string): name is Command => (Commands as readonly string[]).includes(name);

const unknownCommand = (name: string): UsageError =>
  new UsageError(`unknown command "${name}" (one of: ${Commands.join(', ')})`);

/** Parses the command line (without node and the script). Throws UsageError, never exits. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        endpoint: { type: 'string', short: 'e', multiple: true },
        port: { type: 'string', short: 'p' },
        secret: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        id: { type: 'string', multiple: true },
        all: { type: 'boolean' },
        'install-redis': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const [name = values.help || values.version ? 'help' : 'start', ...rest] = positionals;
  if (!isCommand(name)) throw unknownCommand(name);
  // `help <command>` is `<command> --help`.
  const topic = name === 'help' && rest.length === 1 ? rest.shift() : undefined;
  if (topic !== undefined && !isCommand(topic)) throw unknownCommand(topic);
  const drop = name === 'dead' && rest[0] === 'drop';
  const query = name === 'trace' ? rest[0] : undefined;
  if (name === 'trace' && query === undefined && !values.help) {
    throw new UsageError('trace: give an event id, repository[:tag] or digest');
  }
  const taken = drop || query !== undefined ? 1 : 0;
  if (rest.length > taken) throw new UsageError(`unexpected argument "${rest[taken]}"`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port: not a port number: "${values.port}"`);
    }
  }
  return {
    command: name,
    ...(topic !== undefined ? { topic } : {}),
    ...(values.config !== undefined ? { config: values.config } : {}),
    endpoints: values.endpoint ?? [],
    ...(port !== undefined ? { port } : {}),
    secrets: values.secret ?? [],
    json: values.json ?? false,
    drop,
    ids: values.id ?? [],
    all: values.all ?? false,
    ...(query !== undefined ? { query } : {}),
    installRedis: values['install-redis'] ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
