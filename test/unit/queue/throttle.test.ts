import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseMemoryInfo } from '../../../src/queue/memory.js';
import { throttledLog } from '../../../src/queue/throttle.js';

function collect(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('throttledLog', () => {
  it('writes a repeating line once per interval, with the number of repeats in between', () => {
    const { lines, logger } = collect();
    let now = 0;
    const log = throttledLog(logger, 5000, () => now);
    for (let i = 0; i < 3000; i++) {
      now = i; // 3000 failures within 3 s
      log('error', { err: 'OOM command not allowed' }, 'worker error');
    }
    expect(lines).toHaveLength(1);
    now = 5000;
    log('error', { err: 'OOM command not allowed' }, 'worker error');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: 'worker error', repeated: 2999 });
  });

  it('keeps different messages and errors apart', () => {
    const { lines, logger } = collect();
    const log = throttledLog(logger, 5000, () => 0);
    log('error', { err: 'a' }, 'worker error');
    log('error', { err: 'b' }, 'worker error');
    log('warn', { err: 'a' }, 'queue error');
    log('error', { err: 'a' }, 'worker error');
    expect(lines.map((l) => [l['msg'], l['err']])).toEqual([
      ['worker error', 'a'],
      ['worker error', 'b'],
      ['queue error', 'a'],
    ]);
  });
});

describe('parseMemoryInfo', () => {
  it('counts what Redis counts against maxmemory', () => {
    const info = [
      '# Memory',
      'used_memory:5242880',
      'used_memory_human:5.00M',
      'maxmemory:8388608',
      'maxmemory_human:8.00M',
      'mem_not_counted_for_evict:1048576',
    ].join('\r\n');
    expect(parseMemoryInfo(info, 7)).toEqual({ used: 4194304, max: 8388608, at: 7 });
  });

  it('reads no limit as 0', () => {
    expect(parseMemoryInfo('used_memory:100\r\nmaxmemory:0\r\n', 0)).toMatchObject({ max: 0 });
  });
});
