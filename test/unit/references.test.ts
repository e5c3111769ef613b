/**
 * References in comments must lead somewhere a maintainer can follow: every
 * `docs/compatibility.md §N.M` names a section that page has, every path a comment names
 * (repository-rooted, or `./`-relative to its file) exists, and so does every path the page names.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const compatibility = 'docs/compatibility.md';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (rel === path.join('test', 'fixtures')) continue; // captured data, not code
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mjs|js)$/.test(name)) out.push(rel);
  }
  return out;
}
const self = path.join('test', 'unit', 'references.test.ts');
const files = ['src', 'test', 'bench', 'workers', 'scripts', 'examples']
  .flatMap(sourceFiles)
  .filter((file) => file !== self);

/** The comment text of a file (line and block comments), one line per source line. */
function commentLines(text: string): string[] {
  return text.split('\n').map((line) => {
    const block = /^\s*(?:\/\*\*?|\*)(.*)$/.exec(line);
    if (block) return block[1] ?? '';
    const at = line.indexOf('// ');
    return at >= 0 ? line.slice(at + 3) : '';
  });
}

describe('references in comments', () => {
  it(`cite sections that ${compatibility} has`, () => {
    const page = readFileSync(path.join(root, compatibility), 'utf8');
    const sections = new Set(
      [...page.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1] ?? ''),
    );
    const bad: string[] = [];
    let cited = 0;
    for (const file of files) {
      // Joined, so a citation broken over two comment lines still reads as one.
      const text = readFileSync(path.join(root, file), 'utf8').replace(/\s*\n\s*(\*|\/\/)?/g, ' ');
      for (const m of text.matchAll(/(RFC \d+ )?§(\d+(?:\.\d+)?)?/g)) {
        if (m[1] !== undefined) continue; // an RFC's section
        const before = text.slice(Math.max(0, (m.index ?? 0) - 40), m.index);
        const where = `${file}: …${before}${m[0]}`;
        if (m[2] === undefined || !sections.has(m[2])) bad.push(`${where} (no such section)`);
        else if (!before.includes(compatibility)) bad.push(`${where} (which document?)`);
        else cited++;
      }
    }
    expect(bad).toEqual([]);
    expect(cited).toBeGreaterThan(20);
  });

  it('name files that exist', () => {
    const bad: string[] = [];
    const pathPattern =
      /(?:^|[\s(`'"])((?:\.\/|(?:src|test|bench|workers|docs|scripts|examples|deploy)\/)[\w./-]*[\w/])/g;
    for (const file of files) {
      commentLines(readFileSync(path.join(root, file), 'utf8')).forEach((line, i) => {
        for (const m of line.matchAll(pathPattern)) {
          const ref = m[1] ?? '';
          const target = ref.startsWith('./')
            ? path.join(root, path.dirname(file), ref)
            : path.join(root, ref);
          if (!existsSync(target)) bad.push(`${file}:${i + 1}: ${ref}`);
        }
      });
    }
    expect(bad).toEqual([]);
  });

  it(`${compatibility} names files that exist`, () => {
    const page = readFileSync(path.join(root, compatibility), 'utf8');
    const named = [...page.matchAll(/`((?:src|test|docs|bench|workers|scripts)\/[^`\s]*)`/g)].map(
      (m) => m[1] ?? '',
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((p) => !existsSync(path.join(root, p)))).toEqual([]);
  });
});
