// Regenerates the configuration table in README.md from the schema (npm run docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { configSchemaDoc } from '../dist/src/config/schema-doc.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf('<!-- config-table:start');
const end = readme.indexOf('<!-- config-table:end -->');
if (start < 0 || end < 0) throw new Error('README.md: config-table markers not found');
const open = readme.indexOf('-->', start) + 3;
writeFileSync(file, `${readme.slice(0, open)}\n${configSchemaDoc()}${readme.slice(end)}`);
