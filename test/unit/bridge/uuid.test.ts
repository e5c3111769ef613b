import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7Time } from '../../../src/bridge/uuid.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is 36 lowercase hyphenated characters with version 7 and variant 10', () => {
    for (let i = 0; i < 100; i++) expect(uuidv7()).toMatch(V7);
  });

  it('carries the given millisecond timestamp in its first 48 bits', () => {
    // Later than every id made so far: earlier ones would be carried forward (monotonic).
    const t = Date.now() + 10_000_000;
    const id = uuidv7(t);
    expect(uuidv7Time(id)).toBe(t);
    const hex = t.toString(16).padStart(12, '0');
    expect(id.slice(0, 13)).toBe(`${hex.slice(0, 8)}-${hex.slice(8)}`);
  });

  it('sorts in creation order, within a millisecond and past counter exhaustion', () => {
    const t = Date.now() + 20_000_000; // ahead of anything earlier tests generated
    const ids = Array.from({ length: 10_000 }, () => uuidv7(t));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => V7.test(id))).toBe(true);
  });

  it('never goes backwards when the clock does', () => {
    const t = Date.now() + 30_000_000;
    const a = uuidv7(t);
    const b = uuidv7(t - 5_000);
    expect(b > a).toBe(true);
    expect(uuidv7Time(b)).toBeGreaterThanOrEqual(t);
  });
});
