/**
 * The README's commands work as written after `npm ci` in a fresh clone: `npx regnotify …`.
 * `npm ci` installs the dependencies, then runs the package's `prepare` script, which must build
 * and put `regnotify` where npx finds it. No registry is reached here: the clone (a copy of the
 * working tree without node_modules/ and dist/) gets this repository's installed dependencies linked in, and the test runs
 * what `npm ci` runs after installing them — `npm run prepare` — then `npx regnotify --version`.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
/** execFile whose failure says what the command printed (a bare "Command failed" does not). */
async function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, options);
  } catch (e) {
    const { stdout, stderr, signal, code } = e as {
      stdout?: string;
      stderr?: string;
      signal?: string;
      code?: number;
    };
    throw new Error(
      `${cmd} ${args.join(' ')}: code ${code}, signal ${signal}\nstdout: ${stdout}\nstderr: ${stderr}`,
      { cause: e },
    );
  }
}
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** What a clone has besides what `npm ci` and a build add (and a run's own data). */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git', 'var']);
let clone: string;

beforeAll(async () => {
  clone = await mkdtemp(path.join(os.tmpdir(), 'regnotify-install-'));
  await cp(root, clone, {
    recursive: true,
    filter: (from) => !NOT_IN_A_CLONE.has(path.relative(root, from).split(path.sep)[0] ?? ''),
  });
  // The dependencies as `npm ci` installs them, without the package's own bin (its job here).
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const modules = path.join(root, 'node_modules');
  await mkdir(path.join(clone, 'node_modules', '.bin'), { recursive: true });
  for (const entry of await readdir(modules)) {
    if (entry === '.bin') continue;
    await symlink(path.join(modules, entry), path.join(clone, 'node_modules', entry));
  }
  for (const entry of await readdir(path.join(modules, '.bin'))) {
    if (Object.hasOwn(pkg.bin, entry)) continue;
    const target = await realpath(path.join(modules, '.bin', entry));
    await symlink(target, path.join(clone, 'node_modules', '.bin', entry));
  }
});
afterAll(() => rm(clone, { recursive: true, force: true }));

describe('after npm ci', () => {
  it('npx regnotify works: prepare builds and links the command', async () => {
    const env = { ...process.env, npm_config_update_notifier: 'false' };
    await run('npm', ['run', 'prepare'], { cwd: clone, env, timeout: 180_000 });
    const version = await run('npx', ['--no-install', 'regnotify', '--version'], {
      cwd: clone,
      env,
      timeout: 120_000,
    });
    const { version: expected } = JSON.parse(
      await readFile(path.join(root, 'package.json'), 'utf8'),
    ) as { version: string };
    expect(version.stdout).toBe(`regnotify ${expected}\n`);
  }, 360_000);
});
