/**
 * The dashboard in a real browser (headless Chromium through playwright-core) against a running
 * regnotify (startApp: ingest and workers, a real Redis, real receivers): an endpoint failing
 * with its backlog growing and its backoff counting down, a dead letter replayed by clicking
 * (confirmation dialog accepted) and seen delivered, and the token asked for once. Takes the
 * screenshot the README shows (docs/dashboard.png).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, startTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';
import { useCleanups } from '../helpers/cleanup.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = process.env['SCREENSHOTS'] === 'docs' ? path.join(root, 'docs') : os.tmpdir();
const redis = useRedis();
const cleanup = useCleanups();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 90_000);
afterAll(() => browser?.close());

async function newPage(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 640 } });
  cleanup(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  return page;
}

/** The seconds of backoff a state cell shows, e.g. "failing: backoff 27.4 s left" → 27.4. */
function backoffSeconds(text: string): number {
  const m = /backoff (?:(\d+) min )?([\d.]+) s left/.exec(text);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : NaN;
}

describe('dashboard', () => {
  it('shows failure, backlog and backoff live; replays a dead letter by clicking', async () => {
    const archive = await startReceiver();
    const hook = await startReceiver({ respond: () => 503 });
    let poisoned = true;
    const audit = await startReceiver({ respond: () => (poisoned ? 500 : 200) });
    cleanup(
      () => archive.close(),
      () => hook.close(),
      () => audit.close(),
    );
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: 'dash',
      endpoints: [
        { name: 'archive', url: archive.url },
        // Fails; after one failed attempt every worker waits 60 s: the backlog grows.
        { name: 'deploy-hook', url: hook.url, threshold: 1, backoff: '60s' },
        // Fails; gives up after one retry: dead letters.
        { name: 'audit', url: audit.url, maxretries: 1 },
      ],
    });
    cleanup(() => app.close());
    const page = await newPage(app.app.httpUrl ?? '');
    const row = (name: string) => page.locator(`tr[data-endpoint="${name}"]`);
    await expect.poll(() => page.locator('tr[data-endpoint]').count()).toBe(3);

    expect((await app.post(events(2, 'first'))).status).toBe(200);
    await expect.poll(() => row('deploy-hook').getByTestId('pending').textContent()).toBe('2');
    await expect
      .poll(() => row('deploy-hook').getByTestId('state').textContent())
      .toMatch(/^failing: backoff \d/);
    // The backlog grows on the page, without a reload.
    expect((await app.post(events(3, 'more', 2))).status).toBe(200);
    await expect.poll(() => row('deploy-hook').getByTestId('pending').textContent()).toBe('5');
    await expect.poll(() => row('archive').getByTestId('pending').textContent()).toBe('0');
    await expect.poll(() => row('audit').getByTestId('dead').textContent()).toBe('5');
    // The backoff counts down between polls.
    const first = backoffSeconds(
      (await row('deploy-hook').getByTestId('state').textContent()) ?? '',
    );
    expect(first).toBeGreaterThan(0);
    await expect
      .poll(async () =>
        backoffSeconds((await row('deploy-hook').getByTestId('state').textContent()) ?? ''),
      )
      .toBeLessThan(first);
    await page.screenshot({ path: path.join(shots, 'dashboard.png') });

    // One endpoint's page: its dead letters; replay the first by clicking, confirm the dialog.
    await row('audit').getByRole('link', { name: 'audit' }).click();
    const letters = page.getByTestId('dead-letters').locator('tbody tr');
    await expect.poll(() => letters.count()).toBe(5);
    const target = await letters.first().getAttribute('data-event-id');
    poisoned = false;
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await letters.first().getByTestId('replay').click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('Replayed 1 event(s)');
    expect(dialogs).toEqual([`Replay event ${target}?`]);
    await expect
      .poll(() => audit.requests.some((r) => r.status === 200 && eventIdsOf(r).includes(target!)))
      .toBe(true);
    await expect.poll(() => letters.count()).toBe(4);
    await expect
      .poll(() => page.locator('tr[data-event-id]').first().getAttribute('data-event-id'))
      .not.toBe(target);
    // The endpoint's recent attempts: the replayed event's success on top.
    const attempts = page.getByTestId('attempts').locator('tbody tr');
    await expect.poll(() => attempts.first().textContent()).toContain(target!);
    // A dismissed confirmation does nothing.
    page.once('dialog', (d) => void d.dismiss());
    await letters.first().getByTestId('drop').click();
    await expect.poll(() => letters.count()).toBe(4);

    // Search: the replayed event on every endpoint, with its attempts.
    await page.locator('#search-input').fill(target!);
    await page.locator('#search button').click();
    const traced = page.getByTestId('trace-endpoint');
    await expect.poll(() => traced.count()).toBe(3);
    const on = (name: string) =>
      page.locator(`[data-testid="trace-endpoint"][data-endpoint="${name}"]`);
    expect(await on('archive').getByTestId('trace-state').textContent()).toBe('delivered');
    expect(await on('audit').getByTestId('trace-state').textContent()).toBe('delivered');
    expect(await on('deploy-hook').getByTestId('trace-state').textContent()).toBe('pending');
    // audit: two failed attempts (500), dead-lettered, replayed, delivered (200).
    const auditAttempts = on('audit').locator('tbody tr');
    expect(await auditAttempts.count()).toBe(3);
    expect(await auditAttempts.last().textContent()).toMatch(/200/);
    expect(await on('deploy-hook').locator('tbody tr').count()).toBe(1);
    await page.screenshot({ path: path.join(shots, 'dashboard-trace.png'), fullPage: true });
  }, 120_000);

  it('asks for the token once, then shows the endpoints', async () => {
    const token = 'browser-token-5c1e';
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: 'dash-token',
      endpoints: [{ name: 'hook', url: 'http://127.0.0.1:9/' }],
      roles: { workers: false },
      sections: { console: { token } },
    });
    cleanup(() => app.close());
    const page = await newPage(app.app.httpUrl ?? '');
    await page.locator('#auth-token').fill(token);
    await page.locator('#auth button').click();
    await expect.poll(() => page.locator('tr[data-endpoint="hook"]').count()).toBe(1);
    expect(await page.locator('#auth').isVisible()).toBe(false);
    expect(JSON.stringify(app.lines())).not.toContain(token);
  }, 60_000);
});
