/** The dashboard's files: the script parses, and nothing is fetched from elsewhere (offline). */
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { dashboardHtml } from '../../../src/console/dashboard-page.js';
import { dashboardScript } from '../../../src/console/dashboard-script.js';

describe('dashboard files', () => {
  it('the script is valid JavaScript', () => {
    expect(() => new Script(dashboardScript, { filename: 'console.js' })).not.toThrow();
  });

  it('name no other origin: no CDN, no font or image from elsewhere', () => {
    for (const text of [dashboardHtml, dashboardScript]) {
      expect(text).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    }
    expect(dashboardHtml).toContain('<script src="/console.js"></script>');
  });

  it('never writes text from the API as HTML', () => {
    expect(dashboardScript).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
