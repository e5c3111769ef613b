import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEventLine, startPrintReceiver } from '../../src/embedded/print-receiver.js';
import type { PrintReceiver } from '../../src/embedded/print-receiver.js';

const FIXTURE = path.join(
  import.meta.dirname,
  '../fixtures/registry-2.8.2/anonymous-push-pull-mount-delete.jsonl',
);

/** The envelopes a real registry 2.8.2 POSTed, as captured. */
function capturedBodies(): string[] {
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { body: string }).body);
}

const receivers: PrintReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function start(): Promise<{ receiver: PrintReceiver; lines: string[] }> {
  const lines: string[] = [];
  const receiver = await startPrintReceiver({ port: 0, out: (l) => lines.push(l) });
  receivers.push(receiver);
  return { receiver, lines };
}

describe('startPrintReceiver', () => {
  it('prints one line per event of real registry envelopes and answers 200', async () => {
    const { receiver, lines } = await start();
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/events$/);
    const bodies = capturedBodies();
    for (const body of bodies) {
      const res = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
        body,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(lines).toHaveLength(bodies.length);
    expect(lines[0]).toBe(
      '2026-11-28T04:41:25.494799448Z push demo/app@sha256:5609a81d0ee4db909973e5e786b509f5e58451535018aa626bfb540bd5bf0dae application/octet-stream id=59da39e4-ffb1-407d-bbb4-c6f971610fa5',
    );
    expect(lines.some((l) => / push demo\/app:[^ ]+ application\/vnd\./.test(l))).toBe(true);
  });

  it('rejects what is not an envelope, and non-POST requests', async () => {
    const { receiver, lines } = await start();
    const bad = await fetch(receiver.url, { method: 'POST', body: '{"nope":1}' });
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();
    const get = await fetch(receiver.url);
    expect(get.status).toBe(405);
    await get.arrayBuffer();
    expect(lines).toEqual([]);
  });
});

describe('formatEventLine', () => {
  it('prefers the tag over the digest and fills missing fields with -', () => {
    expect(
      formatEventLine({
        id: 'e1',
        timestamp: 't',
        action: 'push',
        target: { repository: 'r', tag: 'v1', digest: 'sha256:x', mediaType: 'm' },
      }),
    ).toBe('t push r:v1 m id=e1');
    expect(formatEventLine({ action: 'delete', target: { repository: 'r' } })).toBe(
      '- delete r - id=-',
    );
    expect(formatEventLine('junk')).toBe('- - - - id=-');
  });
});
