/**
 * The configuration as a command sees it: defaults < the --config file < the environment <
 * what the command line adds. Warnings and a refusal are said on stderr, in plain words.
 */
import { loadConfig } from '../config/load.js';
import type { RegnotifyConfig } from '../config/types.js';
import { toError } from '../errors.js';
import type { CliIo } from './runner.js';

export interface CommandConfigOptions {
  /** The --config file. */
  file?: string;
  /** File-shaped values above the file and the environment (flags, the demo's endpoint). */
  overrides?: object;
  /** Keep the warnings to itself (a second load of the same sources: they were said once). */
  quiet?: boolean;
}

/**
 * Loads the configuration and prints its warnings; undefined (after saying why) when it is
 * invalid, which exits with code 2.
 */
export function loadCommandConfig(
  options: CommandConfigOptions,
  io: Pick<CliIo, 'env' | 'stderr'>,
): RegnotifyConfig | undefined {
  try {
    const loaded = loadConfig({
      ...(options.file !== undefined ? { file: options.file } : {}),
      env: { ...io.env },
      ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
    });
    if (!options.quiet) for (const w of loaded.warnings) io.stderr(`regnotify: warning: ${w}\n`);
    return loaded.config;
  } catch (err) {
    // A ConfigError's message names the key; anything else (an unreadable file) says what failed.
    io.stderr(`regnotify: invalid configuration: ${toError(err).message}\n`);
    return undefined;
  }
}
