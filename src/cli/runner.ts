/**
 * What a command hands back to its entry point (graphile-worker's shape): `done` says how the
 * process should exit, `stop` is what a signal calls. Nothing under src/ touches the process
 * itself; the entry points in workers/ map signals and exit codes.
 */

/** 0 done or stopped cleanly, 1 runtime failure, 2 bad usage or configuration. */
export type ExitCode = 0 | 1 | 2;

export interface Runner {
  /** Resolves once the command has finished, with the code the process should exit with. */
  readonly done: Promise<ExitCode>;
  /**
   * Long-running commands only: stop, finishing the work in flight first. Idempotent; `done`
   * resolves once everything is closed.
   */
  readonly stop?: (reason: string) => Promise<void>;
}

/** What a command may use of the world around it, passed in rather than read from globals. */
export interface CliIo {
  /** The environment (REGNOTIFY_*, REGISTRY_NOTIFICATIONS_*). */
  env: Readonly<Record<string, string | undefined>>;
  /** Command output (events printed by the demo, `stats`, `config`…). */
  stdout: (text: string) => void;
  /** Messages for the person at the terminal (errors, warnings, the demo's banner). */
  stderr: (text: string) => void;
  /** The package's root directory (package.json, scripts/). */
  packageRoot: string;
  /** Standard output is a terminal (`logging.format: auto` then logs readable lines). */
  stdoutIsTTY?: boolean;
}

/** A runner that has already finished. */
export function finished(code: ExitCode): Runner {
  return { done: Promise.resolve(code) };
}

/** A runner's `done`, with the function that settles it (the first call wins). */
export function exitSignal(): { done: Promise<ExitCode>; exit: (code: ExitCode) => void } {
  let exit!: (code: ExitCode) => void;
  const done = new Promise<ExitCode>((resolve) => {
    exit = resolve;
  });
  return { done, exit };
}
