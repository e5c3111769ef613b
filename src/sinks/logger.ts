/**
 * The slice of a logger the in-process sinks need. pino's `Logger` satisfies it, so the app
 * passes its (child) logger straight in; tests pass `silentLogger` or a recorder.
 */
export interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

/** A logger that discards everything: the default wherever a logger is optional. */
export const silentLogger: Logger = {
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};
