/**
 * `regnotify --help` and each command's own help, as users run them (a real CLI process).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Commands } from '../../src/cli/args.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';

afterEach(() => reapChildren());

async function run(args: string[]): Promise<Child> {
  const proc = spawnNode(cli, args);
  await proc.exited;
  return proc;
}

describe('help', () => {
  it('regnotify stats --help: its usage, what it does, its options', async () => {
    const help = await run(['stats', '--help']);
    expect([await help.exited, help.stderr]).toEqual([{ code: 0, signal: null }, '']);
    const [usage, ...rest] = help.stdout.split('\n');
    expect(usage).toBe('Usage: regnotify stats [--config FILE] [--endpoint NAME]... [--json]');
    const text = rest.join('\n');
    expect(text).toMatch(/found in Redis/);
    for (const option of ['-c, --config FILE', '-e, --endpoint NAME', '--json', '-h, --help']) {
      expect(text).toContain(`  ${option}`);
    }
    // Only this command: not the others, not the table of configuration keys.
    expect(text).not.toMatch(/--install-redis|--port|REGNOTIFY_REDIS_URL|^ {2}replay /m);
    expect((await run(['help', 'stats'])).stdout).toBe(help.stdout);
  });

  it.each(Commands.filter((c) => c !== 'help'))('%s --help says how to use it', async (name) => {
    const help = await run([name, '--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: regnotify ${name}\\b.*\\n\\n\\S`));
    expect(help.stdout).toContain('  -h, --help');
  });

  it('regnotify --help (and help) is the whole text: commands, options, every key', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toMatch(
      /^regnotify — durable delivery of container-registry notifications\n/,
    );
    expect(help.stdout).toMatch(/^ {2}stats +cluster-wide numbers/m);
    expect(help.stdout).toMatch(/^ {2}redis\.url +REGNOTIFY_REDIS_URL/m);
    expect(help.stdout).toContain("Run 'regnotify <command> --help' for one command's usage.");
    expect((await run(['help'])).stdout).toBe(help.stdout);
    const bad = await run(['help', 'frobnicate']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toMatch(/^regnotify: unknown command "frobnicate"/);
  });
});
