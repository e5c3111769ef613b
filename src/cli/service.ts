/**
 * The long-running commands (`start`, `ingest`, `work`): start the app with the roles asked
 * for, and stop it cleanly when asked (the delivery in flight finishes first) or when it
 * cannot go on. The runner is returned at once, so a signal during start-up is honoured too:
 * the stop waits for the start to settle, then closes what it started.
 */
import { startApp } from '../app.js';
import type { App, AppRoles } from '../app.js';
import { secretValues } from '../config/secrets.js';
import type { RegnotifyConfig } from '../config/types.js';
import { ConfigError, toError } from '../errors.js';
import { createLogger, makeScrubber } from '../log.js';
import { exitSignal } from './runner.js';
import type { ExitCode } from './runner.js';

export interface ServiceOptions {
  config: RegnotifyConfig;
  roles: AppRoles;
  /** Where a failed start is also said in plain words (a JSON log line is easy to miss). */
  stderr: (text: string) => void;
  /** How log lines look (see src/log-pretty.ts). Default JSON. */
  log?: { format: 'json' | 'pretty'; colour: boolean };
  /**
   * Started before the app and stopped after it has closed (the demo's receiver: listening
   * before the first delivery, and until the last one in flight is answered). Returns its stop.
   */
  startFirst?: (config: RegnotifyConfig) => Promise<() => Promise<void>>;
}

export interface ServiceRunner {
  readonly done: Promise<ExitCode>;
  stop(reason: string): Promise<void>;
}

export function runService(options: ServiceOptions): ServiceRunner {
  const { config } = options;
  const logger = createLogger({
    level: config.logging.level,
    secrets: secretValues(config),
    ...options.log,
  });
  const { done, exit } = exitSignal();
  let app: App | undefined;
  let stopFirst: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;

  const starting = start();
  return { done, stop: (reason) => stop(reason, 0) };

  function stop(reason: string, code: ExitCode): Promise<void> {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping: finishing deliveries in flight');
      await starting;
      await app?.close();
      await stopFirst?.();
      logger.info('stopped');
      exit(code);
    })();
    return stopping;
  }

  async function start(): Promise<void> {
    try {
      if (options.startFirst) stopFirst = await options.startFirst(config);
      app = await startApp({
        config,
        roles: options.roles,
        logger,
        onFatal: (err) => {
          logger.fatal({ err }, 'cannot go on');
          void stop('fatal', 1);
        },
      });
    } catch (err) {
      const e = toError(err);
      logger.fatal({ err: e }, 'could not start');
      // The logger scrubs secrets from its lines; this message needs the same treatment.
      const scrub = makeScrubber(secretValues(config)); // works on JSON text
      const message = JSON.parse(scrub(JSON.stringify(e.message))) as string;
      options.stderr(`regnotify: could not start: ${message}\n`);
      await stopFirst?.();
      exit(e instanceof ConfigError ? 2 : 1);
    }
  }
}
