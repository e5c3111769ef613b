import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { kind: 'ok'; bytes: Buffer }
  /** Past the limit: reading stopped, nothing more is buffered. */
  | { kind: 'too-large' }
  /** Neither Content-Length nor chunked: the request has no body at all. */
  | { kind: 'no-length' }
  /** The client went away before the body was complete. */
  | { kind: 'aborted' };

/**
 * Reads a request body up to `maxBytes`. A declared Content-Length past the limit is refused
 * before a byte is read; a chunked body is refused as soon as it crosses the limit, and reading
 * stops there (the caller answers 413 and the connection is closed), so an oversized body is
 * never held in memory.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve({ kind: 'no-length' });
  }
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        req.pause();
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ kind: 'ok', bytes: Buffer.concat(chunks, size) });
    const onAbort = (): void => settle({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) settle({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}
