import { parseArgs } from 'node:util';

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
  version: boolean;
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

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
  if (!(Commands as readonly string[]).includes(name)) {
    throw new UsageError(`unknown command "${name}" (one of: ${Commands.join(', ')})`);
  }
  const drop = name === 'dead' && rest[0] === 'drop';
  const query = name === 'trace' ? rest[0] : undefined;
  if (name === 'trace' && query === undefined) {
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
    command: name as Command,
    ...(values.config !== undefined ? { config: values.config } : {}),
    endpoints: values.endpoint ?? [],
    ...(port !== undefined ? { port } : {}),
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
