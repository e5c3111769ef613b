/**
 * Headless Chromium for the dashboard's browser test: Debian's `chromium` package driven by
 * playwright-core (which cannot download a browser of its own here). Missing, it fails the test
 * with the command that installs it — never a skip (the rule of test/helpers/registry.ts).
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

export const ChromiumBinary = process.env.REGNOTIFY_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(ChromiumBinary)) {
    throw new Error(
      `chromium not installed (${ChromiumBinary}): apt-get install -y chromium, ` +
        'or run bash scripts/install-test-deps.sh',
    );
  }
  return chromium.launch({ executablePath: ChromiumBinary, headless: true, timeout: 60_000 });
}
