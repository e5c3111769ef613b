import { afterEach } from 'vitest';

/**
 * Registers an afterEach that undoes, newest first, what each test set up — receivers,
 * producers, workers, clients — even when the test failed halfway. Returns the function that
 * registers one undo step.
 */
export function useCleanups(): (...fns: (() => Promise<unknown>)[]) => void {
  const pending: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of pending.splice(0).reverse()) await fn();
  });
  return (...fns) => {
    pending.push(...fns);
  };
}
