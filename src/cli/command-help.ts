/**
 * Each command's own help (`regnotify <command> --help`, `regnotify help <command>`): its usage
 * line, what it does, and only the options it takes. The whole text, with every configuration
 * key, stays `regnotify --help` (./help.ts).
 */
import type { Command } from './args.js';

type Option = 'config' | 'endpoint' | 'port' | 'json' | 'install-redis' | 'id' | 'all';

const OPTIONS: Record<Option | 'help', [flag: string, doc: string]> = {
  config: [
    '-c, --config FILE',
    'YAML or JSON configuration; may be a registry\'s own config.yml. Defaults < this file < the environment; see "regnotify --help" for every key.',
  ],
  endpoint: ['-e, --endpoint NAME', 'the endpoint to act on'],
  port: ['-p, --port N', 'port of the demo receiver on 127.0.0.1 (default 5055)'],
  json: ['    --json', 'machine-readable output (JSON)'],
  id: ['    --id ID', 'the dead letter with this event id (repeatable)'],
  all: ['    --all', 'every dead letter of the endpoint'],
  'install-redis': [
    '    --install-redis',
    'if redis-server is missing (and no Redis is configured), install it with apt-get (Debian/Ubuntu, as root), saying so first',
  ],
  help: ['-h, --help', 'this text'],
};

interface CommandHelp {
  usage: string;
  about: string;
  options: [Option, string?][];
}

const ENDPOINT_ONE: [Option, string] = ['endpoint', 'the endpoint (exactly one)'];
const OPERATOR_NOTE =
  'An endpoint is known when it is configured or some regnotify process serves it on this Redis; another name is refused (exit code 2).';

const COMMANDS: Record<Exclude<Command, 'help'>, CommandHelp> = {
  start: {
    usage: '[--config FILE] [--install-redis] [--port N]',
    about:
      'Runs the ingest and the delivery workers in one process. With no Redis configured it runs a private redis-server (AOF on) in redis.embedded.dataDir. With no endpoint configured it runs the demo: one endpoint, "demo", and a bundled receiver on 127.0.0.1 that prints every event it gets.',
    options: [['config'], ['install-redis'], ['port', 'port of the demo receiver (default 5055)']],
  },
  ingest: {
    usage: '[--config FILE]',
    about:
      "Runs only the ingest HTTP server, which stores every event in Redis before answering. Point a registry's notifications endpoint at http://<ingest.addr><ingest.path> (default http://127.0.0.1:5050/events).",
    options: [['config']],
  },
  work: {
    usage: '[--config FILE] [--endpoint NAME]...',
    about:
      'Runs only delivery workers: for every enabled endpoint, or those named. Run as many as you like, on any host sharing the Redis.',
    options: [['config'], ['endpoint', 'serve only this endpoint (repeatable)']],
  },
  receiver: {
    usage: '[--port N]',
    about: 'Runs the demo receiver alone: it prints every event POSTed to it, until stopped.',
    options: [['port']],
  },
  stats: {
    usage: '[--config FILE] [--endpoint NAME]... [--json]',
    about: `Prints each endpoint's cluster-wide numbers, read from Redis: pending, events, successes, failures, errors, dead letters, the oldest pending age, the backoff and the state. Without --endpoint: every enabled configured endpoint, or, when none is configured, those found in Redis (those some regnotify process serves). ${OPERATOR_NOTE}`,
    options: [['config'], ['endpoint', 'only this endpoint (repeatable)'], ['json']],
  },
  dead: {
    usage:
      '[--config FILE] --endpoint NAME [--json]  |  dead drop [--config FILE] --endpoint NAME (--id ID... | --all)',
    about: `Lists an endpoint's dead letters, oldest first: when it was given up, the event id, its action and repository:tag, the failed attempts and the last error. "dead drop" deletes the dead letters named with --id, or all of them, for good (they stay counted in events). ${OPERATOR_NOTE}`,
    options: [
      ['config'],
      ENDPOINT_ONE,
      ['id', 'dead drop: the dead letter with this event id (repeatable)'],
      ['all', 'dead drop: every dead letter'],
      ['json'],
    ],
  },
  replay: {
    usage: '[--config FILE] --endpoint NAME (--id ID... | --all) [--json]',
    about: `Puts dead letters back at the end of the endpoint's queue, oldest first, as new events (their maxage counts again), and removes them from the dead-letter list; a replayed event counts once in events. An --id the endpoint has no dead letter for changes nothing (exit code 1). ${OPERATOR_NOTE}`,
    options: [['config'], ENDPOINT_ONE, ['id'], ['all'], ['json']],
  },
  trace: {
    usage: '<event id | repository[:tag] | repository@digest | digest> [--config FILE] [--json]',
    about:
      "Prints, for each event found and each known endpoint: its state (in flight, pending, delivered, dead, filtered out by the endpoint's action, repository or tag filter, or unknown: its media type is ignored there, or it is older than the history), when it was first accepted, and each attempt with its time, number, result (HTTP status or transport error), duration and worker (host:pid). Reads the delivery history (console.historyMaxAttempts), the dead letters and up to 1000 waiting events per endpoint.",
    options: [['config'], ['json']],
  },
  pause: {
    usage: '[--config FILE] --endpoint NAME',
    about: `Stops deliveries to an endpoint, in every process; events are still accepted and wait. ${OPERATOR_NOTE}`,
    options: [['config'], ENDPOINT_ONE],
  },
  resume: {
    usage: '[--config FILE] --endpoint NAME',
    about: `Starts deliveries to a paused endpoint again. ${OPERATOR_NOTE}`,
    options: [['config'], ENDPOINT_ONE],
  },
  config: {
    usage: '[--config FILE] [--json]',
    about:
      'Prints the effective configuration (defaults < the file < the environment) as a file that loads back as a configuration: regnotify\'s sections, the registry\'s "notifications:" section with its own key names and Go durations, TLS file paths. Secrets are shown as [REDACTED]: put them back before using it.',
    options: [['config'], ['json', 'the same, as JSON']],
  },
};

/** `head` then `text` wrapped to `width` columns, each line after the first indented by `indent`. */
function wrap(head: string, text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = head;
  for (const word of text.split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line.trim() === '' ? line + word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}

/** The help of one command. */
export function commandHelpText(command: Exclude<Command, 'help'>): string {
  const { usage, about, options } = COMMANDS[command];
  const rows = [...options, ['help'] as const].map(([name, doc]) => {
    const [flag, fallback] = OPTIONS[name];
    return [flag, doc ?? fallback] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = rows.map(([flag, doc]) =>
    wrap(`  ${flag.padEnd(width)} `, doc, 96, ' '.repeat(width + 4)),
  );
  return `Usage: regnotify ${command} ${usage}\n\n${wrap('', about, 96, '')}\n\nOptions:\n${lines.join('\n')}\n`;
}
