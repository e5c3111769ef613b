import { configSchemaRows } from '../config/schema-doc.js';

const usage = `regnotify — durable delivery of container-registry notifications

Usage: regnotify <command> [options]

Commands:
  start      ingest + delivery workers in one process. With no Redis configured it runs a
             private redis-server (AOF on) in redis.embedded.dataDir (./var/redis). With no
             --config and no endpoint in the environment it runs the demo: one endpoint, a
             bundled receiver on 127.0.0.1:5055 that prints every event it gets.
  ingest     only the ingest HTTP server: point a registry's notifications endpoint at
             http://<ingest.addr><ingest.path> (default http://127.0.0.1:5050/events)
  work       only delivery workers: every enabled endpoint, or those named with --endpoint
  receiver   the demo receiver alone: prints every event POSTed to it (--port, default 5055)
  stats      cluster-wide numbers of each endpoint, read from Redis (--json for JSON); with
             none configured, of those found in Redis
  dead       list an endpoint's dead letters: action, repository:tag, attempts, last error
             (--endpoint NAME); \`dead drop --id ID | --all\` deletes them for good
  replay     put dead letters back at the end of the endpoint's queue (--endpoint NAME,
             --id ID | --all)
  trace Q    where an event is on every endpoint — state, when accepted, each attempt —
             found by event id, repository[:tag], repository@digest or digest (--json)
  pause      stop deliveries to an endpoint, in every process (--endpoint NAME)
  resume     start them again (--endpoint NAME)
  config     print the effective configuration, secrets redacted, and exit
  help       this text; help <command>: that command's usage

Options:
  -c, --config FILE     YAML or JSON configuration; may be a registry's own config.yml
                        (its notifications: section is read with the registry's meaning)
  -e, --endpoint NAME   endpoint(s) for work/dead/replay/pause/resume (repeatable)
  -p, --port N          port of the demo receiver (receiver command; default 5055)
      --id ID           a dead letter by its event id (replay, dead drop; repeatable)
      --all             every dead letter of the endpoint (replay, dead drop)
      --secret whsec_…  (receiver) verify Standard Webhooks signatures and say so on each
                        line (repeatable; docs/signing.md)
      --json            machine-readable output (stats, dead, replay, trace, config)
      --install-redis   (start) if redis-server is missing, install it with apt-get
                        (Debian/Ubuntu, as root), saying so first
  -h, --help            this text
  -v, --version         the version

Run 'regnotify <command> --help' for one command's usage.

Configuration: defaults < the --config file < the environment. Every key, its environment
variable and its default:
`;

/** The full help text: commands, options, and every configuration key. */
export function helpText(): string {
  const rows = configSchemaRows();
  const keyWidth = Math.min(48, Math.max(...rows.map((r) => r.key.length)));
  const lines = rows.map(
    (r) =>
      `  ${r.key.padEnd(keyWidth)}  ${r.env}  (default ${r.default})\n  ${''.padEnd(keyWidth)}  ${r.doc}`,
  );
  return `${usage}\n${lines.join('\n')}\n`;
}
