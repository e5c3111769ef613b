/**
 * The start-up warning of a console (dashboard, /api/v1/) that anyone reaching a non-loopback
 * listener can use: no credentials configured (src/app-warnings.ts consoleOpenWarning).
 */
import { describe, expect, it } from 'vitest';
import { consoleOpenWarning } from '../../src/app-warnings.js';

describe('consoleOpenWarning', () => {
  it.each([':5050', '0.0.0.0:5050', '[::]:5050', '10.1.2.3:5050', 'regnotify.internal:5050'])(
    'warns when %s serves the console without credentials, naming the writes',
    (addr) => {
      const text = consoleOpenWarning(addr, { credentials: false, readOnly: false });
      expect(text).toContain(addr);
      expect(text).toMatch(/replay, drop, pause/);
      expect(text).toMatch(/console\.token/);
    },
  );

  it('says only the reads are open in read-only mode', () => {
    const text = consoleOpenWarning(':5050', { credentials: false, readOnly: true });
    expect(text).toMatch(/read-only/);
    expect(text).not.toMatch(/replay, drop, pause/);
  });

  it.each(['127.0.0.1:5050', 'localhost:5050', '[::1]:5050', '127.0.0.2:9'])(
    'says nothing on a loopback address (%s)',
    (addr) => {
      expect(consoleOpenWarning(addr, { credentials: false, readOnly: false })).toBeUndefined();
    },
  );

  it('says nothing when credentials are configured', () => {
    expect(consoleOpenWarning(':5050', { credentials: true, readOnly: false })).toBeUndefined();
  });
});
