/**
 * What every entry point does at the edge of the process: parse the command line, run the
 * command (src/cli/main.ts) with this process's environment and output, and map signals and
 * exit codes: SIGTERM/SIGINT stop a long-running command (the delivery in flight finishes
 * first); exit 0 done or stopped, 1 runtime failure, 2 bad usage or configuration.
 */
import { fileURLToPath } from 'node:url';
import { parseCliArgs, UsageError } from '../src/cli/args.js';
import type { CliArgs } from '../src/cli/args.js';
import { run } from '../src/cli/main.js';

export async function main(argv: readonly string[]): Promise<void> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`regnotify: ${err.message}\nRun 'regnotify --help' for usage.\n`);
    process.exit(2);
  }
  const runner = run({
    args,
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    packageRoot: fileURLToPath(new URL('../..', import.meta.url)), // from dist/workers/
    stdoutIsTTY: process.stdout.isTTY === true,
  });
  const { stop } = runner;
  if (stop === undefined) {
    // A one-shot command: exit once its output has drained.
    process.exitCode = await runner.done;
    return;
  }
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Stopped (or failed): exit now, whatever handles a library still holds open.
  process.exit(await runner.done);
}
