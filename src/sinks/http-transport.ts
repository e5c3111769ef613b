/**
 * The undici side of one HttpSink attempt: the sink's own Agent, and the race that lets the
 * endpoint timeout end an attempt where undici would not settle.
 */
import { Agent } from 'undici';

export interface HttpSinkTls {
  /** PEM CA bundle trusted instead of the system's. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

/**
 * The sink's own Agent. Its connect timeout (the TLS handshake included) is the attempt's
 * timeout: a connect that outlives its attempt (see `untilAborted`) is given up, and its socket
 * closed, at most that long after it began — instead of at undici's default of 10 s.
 */
export function newAgent(tls: HttpSinkTls | undefined, connectTimeoutMs: number): Agent {
  const connect: {
    ca?: string;
    cert?: string;
    key?: string;
    rejectUnauthorized: boolean;
    timeout: number;
  } = {
    rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    timeout: connectTimeoutMs,
  };
  if (tls?.ca !== undefined) connect.ca = tls.ca;
  if (tls?.cert !== undefined) connect.cert = tls.cert;
  if (tls?.key !== undefined) connect.key = tls.key;
  return new Agent({ connect });
}

/**
 * Settles like `work`, or rejects with the abort reason as soon as `signal` aborts, whichever
 * comes first. Needed because undici (7.x) wires a request's abort signal only once its socket
 * is connected: an abort during a connect or a TLS handshake waits for the connect to end. A
 * value `work` delivers after losing the race goes to `discard` (to release a response body);
 * a late rejection is swallowed.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  discard: (late: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason);
      work.then(discard, () => undefined);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
