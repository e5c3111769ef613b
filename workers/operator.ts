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
import { embeddedRedisUrl } from '../src/embedded/redis-server.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { loadOrExit } from './service.js';

export async function runOperatorCommand(args: CliArgs): Promise<void> {
  const config = loadOrExit(args.config);
  const url = config.redis.url || embeddedRedisUrl(config.redis.embedded.dataDir);
  if (
    !url &&
    config.redis.cluster.nodes.length === 0 &&
    config.redis.sentinel.sentinels.length === 0
  ) {
    process.stderr.write(
      'regnotify: no redis.url configured and no embedded redis-server running in redis.embedded.dataDir\n',
    );
    process.exit(1);
  }
  const client = createRedisClient(
    {
      url: url ?? '',
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
