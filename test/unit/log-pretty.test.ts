import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { prettyLine } from '../../src/log-pretty.js';

function collect() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, destination };
}

describe('pretty log lines (logging.format: pretty)', () => {
  it('time, level, message, then the fields; the per-process fields left out', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 40,
        time: new Date(2026, 10, 30, 9, 5, 7, 42).getTime(),
        service: 'regnotify',
        pid: 1,
        hostname: 'h',
        endpoint: 'hooks',
        waitMs: 1000,
        msg: 'delivery attempt failed',
      }),
    );
    expect(line).toBe('09:05:07.042 WARN  delivery attempt failed endpoint=hooks waitMs=1000\n');
  });

  it('shows an error by type, message and code, then its stack, indented', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'worker error',
        err: {
          type: 'ReplyError',
          message: 'OOM command not allowed',
          code: 'ERR_X',
          stack: 'ReplyError: OOM\n    at x',
        },
      }),
    );
    expect(line).toContain('ERROR worker error err="ReplyError: OOM command not allowed (ERR_X)"');
    expect(line).toContain('\n    ReplyError: OOM\n        at x\n');
  });

  it('scrubs secrets exactly as the JSON lines do', () => {
    const { lines, destination } = collect();
    const logger = createLogger({ secrets: ['s3cret-token'], destination, format: 'pretty' });
    logger.warn({ url: 'http://h/?token=s3cret-token' }, 'posting with s3cret-token failed');
    expect(lines.join('')).not.toContain('s3cret-token');
    expect(lines.join('')).toMatch(/WARN {2}posting with \[REDACTED\] failed url=/);
  });

  it('leaves a line that is not JSON as it is', () => {
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
