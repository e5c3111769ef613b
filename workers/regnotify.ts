#!/usr/bin/env node
/**
 * The `regnotify` command: parses the command line and hands over to the service runner or
 * an operator command. See `regnotify --help`.
 */
import { readFileSync } from 'node:fs';
import { helpText } from '../src/cli/help.js';
import { parseCliArgs, UsageError } from '../src/cli/args.js';
import type { CliArgs } from '../src/cli/args.js';
import { runOperatorCommand } from './operator.js';
import { runDemoReceiver, runStart } from './start.js';
import { loadOrExit, runService } from './service.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(args: CliArgs): Promise<void> {
  if (args.version) return void process.stdout.write(`regnotify ${version()}\n`);
  if (args.help || args.command === 'help') return void process.stdout.write(helpText());
  switch (args.command) {
    case 'start':
      return runStart(args);
    case 'ingest':
      return runService({
        roles: { ingest: true, workers: false },
        ...(args.config ? { configFile: args.config } : {}),
      });
    case 'work':
      return runService({
        roles: { ingest: false, workers: true },
        ...(args.config ? { configFile: args.config } : {}),
        ...(args.endpoints.length > 0
          ? { overrides: { workers: { endpoints: args.endpoints } } }
          : {}),
      });
    case 'receiver':
      return runDemoReceiver(args.port ?? 5055);
    case 'config': {
      const { redactedConfig } = await import('../src/config/secrets.js');
      const config = loadOrExit(args.config);
      return void process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    }
    default:
      return runOperatorCommand(args);
  }
}

try {
  await main(parseCliArgs(process.argv.slice(2)));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`regnotify: ${err.message}\nRun 'regnotify --help' for usage.\n`);
    process.exit(2);
  }
  throw err;
}
