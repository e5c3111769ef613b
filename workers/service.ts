/**
 * The edge of every long-running process: reads the environment, loads the configuration,
 * starts the app with the roles asked for, and turns SIGTERM/SIGINT into a clean stop (the
 * delivery in flight finishes first). Exit codes: 0 clean stop, 1 runtime failure, 2 bad
 * configuration or usage.
 */
import { startApp } from '../src/app.js';
import type { AppRoles } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { secretValues } from '../src/config/secrets.js';
import type { RegnotifyConfig } from '../src/config/types.js';
import { ConfigError, toError } from '../src/errors.js';
import { createLogger, makeScrubber } from '../src/log.js';

export interface ServiceOptions {
  roles: AppRoles;
  configFile?: string;
  /** File-shaped values applied above the file and the environment (CLI flags, the demo). */
  overrides?: object;
  /** Runs after start-up (e.g. the demo receiver), stopped before the app. */
  beforeStart?: (config: RegnotifyConfig) => Promise<() => Promise<void>>;
}

export function loadOrExit(configFile: string | undefined, overrides?: object): RegnotifyConfig {
  try {
    const loaded = loadConfig({
      ...(configFile !== undefined ? { file: configFile } : {}),
      env: process.env,
      ...(overrides !== undefined ? { overrides } : {}),
    });
    for (const w of loaded.warnings) process.stderr.write(`regnotify: warning: ${w}\n`);
    return loaded.config;
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : toError(err).message;
    process.stderr.write(`regnotify: invalid configuration: ${message}\n`);
    process.exit(2);
  }
}

export async function runService(options: ServiceOptions): Promise<void> {
  const config = loadOrExit(options.configFile, options.overrides);
  const logger = createLogger({ level: config.logging.level, secrets: secretValues(config) });
  let stopExtra: (() => Promise<void>) | undefined;
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping: finishing deliveries in flight');
    await app?.close();
    await stopExtra?.();
    logger.info('stopped');
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));
  try {
    if (options.beforeStart) stopExtra = await options.beforeStart(config);
    app = await startApp({
      config,
      roles: options.roles,
      logger,
      onFatal: (err) => {
        logger.fatal({ err: err.message }, 'cannot go on');
        void stop('fatal', 1);
      },
    });
  } catch (err) {
    const e = toError(err);
    logger.fatal({ err: e.message, code: (e as { code?: unknown }).code }, 'could not start');
    // Also in plain words: a JSON log line is easy to miss at a terminal.
    const scrub = makeScrubber(secretValues(config)); // works on JSON text
    const message = JSON.parse(scrub(JSON.stringify(e.message))) as string;
    process.stderr.write(`regnotify: could not start: ${message}\n`);
    await stopExtra?.();
    process.exit(e instanceof ConfigError ? 2 : 1);
  }
}
