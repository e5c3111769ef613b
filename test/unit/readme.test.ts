import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchemaDoc } from '../../src/config/schema-doc.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the two commands of a fresh machine: run and test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm start/m);
    expect(firstBlock).toMatch(/^npm ci && npm test/m);
    // .ci/run must run the same test command.
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(
      /npm ci[^\n]*\n(?:.*\n)*?npm test\s*$/m,
    );
  });

  it('documents every configuration key, as the schema says (npm run docs regenerates it)', () => {
    const start = readme.indexOf('-->', readme.indexOf('<!-- config-table:start')) + 3;
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(readme.slice(start, end).trim()).toBe(configSchemaDoc().trim());
  });
});
