/** `regnotify stats|dead|replay|pause|resume`: read or change an endpoint's state in Redis. */
import type { CliArgs } from '../src/cli/args.js';
import {
  deadLetters,
  endpointStats,
  formatStats,
  replayDeadLetters,
  setPaused,
} from '../src/cli/operator.js';
import { enabledEndpoints } from '../src/config/types.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { loadOrExit } from './service.js';

export async function runOperatorCommand(args: CliArgs): Promise<void> {
  const config = loadOrExit(args.config);
  // Without redis.url: the embedded redis-server of `regnotify start`, on its configured port.
  const embeddedPort = config.redis.embedded.port;
  const url = config.redis.url || (embeddedPort > 0 ? `redis://127.0.0.1:${embeddedPort}` : '');
  const clustered = config.redis.cluster.nodes.length + config.redis.sentinel.sentinels.length > 0;
  if (!url && !clustered) {
    process.stderr.write(
      'regnotify: set redis.url (redis.embedded.port is 0, so there is no known embedded Redis)\n',
    );
    process.exit(2);
  }
  const client = createRedisClient(
    {
      url,
      cluster: config.redis.cluster,
      sentinel: config.redis.sentinel,
      password: config.redis.password,
    },
    'producer',
  );
  client.on('error', () => {});
  try {
    await waitReady(client, 5000);
    const names =
      args.endpoints.length > 0 ? args.endpoints : enabledEndpoints(config).map((e) => e.name);
    const one = () => {
      if (names.length !== 1)
        throw new Error(`${args.command}: name exactly one endpoint with --endpoint`);
      return names[0]!;
    };
    const prefix = config.redis.prefix;
    switch (args.command) {
      case 'stats': {
        const stats = await endpointStats(client, prefix, names);
        process.stdout.write(
          args.json ? `${JSON.stringify(stats, null, 2)}\n` : `${formatStats(stats)}\n`,
        );
        break;
      }
      case 'dead': {
        const letters = await deadLetters(client, prefix, one());
        if (args.json) process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
        else
          for (const d of letters)
            process.stdout.write(
              `${new Date(d.at).toISOString()} ${d.id} ${d.reason}: ${d.detail} (attempts ${d.attempts})\n`,
            );
        break;
      }
      case 'replay':
        process.stdout.write(
          `replayed ${await replayDeadLetters(client, prefix, one())} event(s)\n`,
        );
        break;
      case 'pause':
      case 'resume':
        await setPaused(client, prefix, one(), args.command === 'pause');
        process.stdout.write(`${one()}: ${args.command === 'pause' ? 'paused' : 'resumed'}\n`);
        break;
      default:
        throw new Error(`not an operator command: ${args.command}`);
    }
  } catch (err) {
    process.stderr.write(`regnotify: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    client.disconnect();
  }
}
