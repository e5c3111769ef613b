#!/usr/bin/env node
/** The `regnotify` command: `regnotify <command> [options]`, see `regnotify --help`. */
import { main } from './main.js';

await main(process.argv.slice(2));
