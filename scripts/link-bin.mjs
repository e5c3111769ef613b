// `npm ci` / `npm install` run this (package.json "prepare", after the build): it links the
// package's own commands (package.json "bin") into node_modules/.bin, as npm does for a
// dependency but not for the project itself, so that `npx regnotify …` works in a clone
// (npm 8.8+ cannot run a project's own bin otherwise: npm/cli#5777). A bin whose file is
// missing (no build yet) is skipped with a line saying so, never an error.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { bin = {} } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const binDir = path.join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(bin)) {
  const file = path.join(root, target);
  if (!existsSync(file)) {
    console.error(`link-bin: ${target} does not exist (not built?); ${name} not linked`);
    continue;
  }
  chmodSync(file, 0o755); // tsc writes 0644; a bin is run by its shebang
  const link = path.join(binDir, name);
  rmSync(link, { force: true });
  symlinkSync(path.relative(binDir, file), link);
}
