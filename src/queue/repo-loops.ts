import type { Pausable } from './refusals.js';
import type { StrictLoop } from './strict-loop.js';

/**
 * The workers of an `ordering: repository` endpoint in one process: `concurrency` strict loops
 * (strict-loop.ts), each taking one job at a time through repo-scripts.ts, which leases the
 * job's repository and keeps the endpoint's count in flight, across all processes, at most
 * `concurrency`. Each loop blocks on BullMQ's marker on a connection of its own while idle (as
 * many blocking connections per process as `concurrency`).
 */
export class RepoLoops implements Pausable {
  constructor(private readonly loops: readonly StrictLoop[]) {}

  run(): void {
    for (const loop of this.loops) loop.run();
  }

  isRunning(): boolean {
    return this.loops.some((loop) => loop.isRunning());
  }

  async pause(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.pause()));
  }

  resume(): void {
    for (const loop of this.loops) loop.resume();
  }

  /** After the worker's `stopping` was aborted: every run in flight finishes, then all stop. */
  async close(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.close()));
  }
}
