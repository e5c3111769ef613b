/**
 * The demo of `regnotify start` with no endpoint configured: one endpoint, `demo`, pointing at
 * the bundled receiver on 127.0.0.1, which prints every event it gets, and a banner saying
 * where to send a first envelope.
 */
import type { RegnotifyConfig } from '../config/types.js';
import { startPrintReceiver } from './print-receiver.js';
import type { PrintReceiver } from './print-receiver.js';

/** The receiver's port unless `--port` says otherwise. */
export const DEMO_RECEIVER_PORT = 5055;

/** File-shaped configuration for the demo: its one endpoint. */
export function demoOverrides(port: number): object {
  return {
    notifications: { endpoints: [{ name: 'demo', url: `http://127.0.0.1:${port}/events` }] },
  };
}

/** The bundled receiver on 127.0.0.1:`port`, one printed line per event on `out`. */
export function startDemoReceiver(
  port: number,
  out: (text: string) => void,
  secrets: readonly string[] = [],
): Promise<PrintReceiver> {
  const verify = secrets.length > 0 ? { secrets } : {};
  return startPrintReceiver({
    port,
    host: '127.0.0.1',
    out: (line) => out(`${line}\n`),
    ...verify,
  });
}

export interface DemoIo {
  /** Where the receiver prints events. */
  stdout: (text: string) => void;
  /** Where the banner goes. */
  stderr: (text: string) => void;
}

/** Starts the demo's receiver and prints the banner; returns the receiver's stop. */
export async function startDemo(
  config: RegnotifyConfig,
  port: number,
  io: DemoIo,
): Promise<() => Promise<void>> {
  const receiver = await startDemoReceiver(port, io.stdout);
  const { addr, path } = config.ingest;
  // Go-style ':5050' listens on every interface.
  const ingest = `http://${addr.startsWith(':') ? `0.0.0.0${addr}` : addr}${path}`;
  io.stderr(
    [
      'regnotify demo: no endpoint configured, so events go to the bundled receiver, which prints them here.',
      `  ingest:   ${ingest}   (point a registry's notifications endpoint here)`,
      `  endpoint: demo -> ${receiver.url}`,
      `  try:      curl -s -H 'Content-Type: application/vnd.docker.distribution.events.v1+json' --data-binary @examples/sample-envelope.json ${ingest}`,
      '',
    ].join('\n'),
  );
  return () => receiver.close();
}
