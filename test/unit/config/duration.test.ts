import { describe, expect, it } from 'vitest';
import {
  formatGoDuration,
  GoDurationError,
  nanosToMs,
  parseGoDuration,
} from '../../../src/config/registry/duration.js';

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['0s', 0],
    ['1ns', 1],
    ['1us', 1_000],
    ['1\u00b5s', 1_000],
    ['1\u03bcs', 1_000],
    ['300ms', 300_000_000],
    ['1s', 1_000_000_000],
    ['1.5s', 1_500_000_000],
    ['.5s', 500_000_000],
    ['1.s', 1_000_000_000],
    ['1h2m', 3_720_000_000_000],
    ['1h2m3.5s', 3_723_500_000_000],
    ['2m30s', 150_000_000_000],
    ['+5ms', 5_000_000],
    ['-1.5h', -5_400_000_000_000],
    ['1.0000000001s', 1_000_000_000],
  ])('%s → %d ns', (input, ns) => {
    expect(parseGoDuration(input)).toBe(ns);
  });

  it.each([
    ['1000', 'missing unit'],
    ['00', 'missing unit'],
    ['1x', 'unknown unit "x"'],
    ['', ''],
    ['-', ''],
    ['s', ''],
    ['.s', ''],
    ['1s2', 'missing unit'],
    ['1 s', 'unknown unit'],
    ['3000000h', ''], // > 2^63 ns
  ])('%j is an error naming the input', (input, detail) => {
    expect(() => parseGoDuration(input)).toThrow(`invalid duration ${JSON.stringify(input)}`);
    if (detail) expect(() => parseGoDuration(input)).toThrow(detail);
  });

  it('throws a GoDurationError with a stable code', () => {
    expect(() => parseGoDuration('1x')).toThrow(GoDurationError);
    expect(() => parseGoDuration('1x')).toThrow(
      expect.objectContaining({ code: 'ERR_GO_DURATION' }),
    );
  });
});

describe('formatGoDuration (Duration.String)', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [1_000, '1µs'],
    [1_500, '1.5µs'],
    [300_000_000, '300ms'],
    [1_500_000_000, '1.5s'],
    [3_720_000_000_000, '1h2m0s'],
    [3_723_500_000_000, '1h2m3.5s'],
    [-1_000_000_000, '-1s'],
    [61_000_000_000, '1m1s'],
  ])('%d → %s', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const s of ['1h2m0s', '1.5s', '300ms', '1µs', '7ns', '-2m0.25s']) {
      expect(formatGoDuration(parseGoDuration(s))).toBe(s);
    }
  });
});

describe('nanosToMs', () => {
  it('rounds up so a non-zero duration never reads as unset', () => {
    expect(nanosToMs(0)).toBe(0);
    expect(nanosToMs(1_000)).toBe(1);
    expect(nanosToMs(1_500_000)).toBe(2);
    expect(nanosToMs(1_000_000_000)).toBe(1000);
  });
});
