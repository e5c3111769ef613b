/**
 * The dashboard: GET / (the page) and GET /console.js (its script), both from memory. The page
 * holds no data: everything it shows comes from the JSON API, with the console's credentials.
 */
import { dashboardHtml } from '../console/dashboard-page.js';
import { dashboardScript } from '../console/dashboard-script.js';
import { sendError } from './respond.js';
import type { HttpHandler } from './server.js';

/** Only this origin's script and API; inline styles only; never inside a frame. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const FILES: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: dashboardHtml },
  '/console.js': { type: 'text/javascript; charset=utf-8', body: dashboardScript },
};

export function createDashboardHandler(): HttpHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const file = Object.hasOwn(FILES, path) ? FILES[path] : undefined;
    if (file === undefined) return Promise.resolve(false);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'ERR_METHOD_NOT_ALLOWED', `use GET on ${path}`, { Allow: 'GET, HEAD' });
      return Promise.resolve(true);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': Buffer.byteLength(file.body),
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return Promise.resolve(true);
  };
}
