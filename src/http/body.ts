import type { IncomingMessage } from 'node:http';
import type { Refusal, Ticket } from './limits.js';

export type BodyResult =
  | { kind: 'ok'; bytes: Buffer }
  /** Past the limit: reading stopped, nothing more is buffered. */
  | { kind: 'too-large' }
  /** A chunked body that crossed the bytes-in-flight bound: reading stopped. */
  | { kind: 'refused'; refusal: Refusal }
  /** Neither Content-Length nor chunked: the request has no body at all. */
  | { kind: 'no-length' }
  /** The client went away before the body was complete. */
  | { kind: 'aborted' };

/** The declared Content-Length; undefined when absent or chunked (Node has checked the syntax). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const declared = req.headers['content-length'];
  return declared === undefined || req.headers['transfer-encoding'] !== undefined
    ? undefined
    : Number(declared);
}

/**
 * Reads a request body up to `maxBytes`. A declared Content-Length past the limit is refused
 * before a byte is read; a chunked body is refused as soon as it crosses the limit, or as soon
 * as `ticket` cannot reserve its next bytes, and reading stops there (the caller answers and
 * the connection is closed), so an oversized body is never held in memory.
 *
 * A declared body is read straight into one buffer of its size: collecting chunks and
 * concatenating them would hold the body twice at the end.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  ticket?: Ticket,
): Promise<BodyResult> {
  const declared = declaredLength(req);
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve({ kind: 'no-length' });
  }
  if (declared !== undefined && declared > maxBytes) {
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const into = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const stop = (result: BodyResult): void => {
      chunks.length = 0;
      req.pause();
      settle(result);
    };
    const onData = (chunk: Buffer): void => {
      if (into !== undefined) {
        // Node's parser never delivers more than the declared length.
        size += chunk.copy(into, size);
        return;
      }
      size += chunk.length;
      if (size > maxBytes) return stop({ kind: 'too-large' });
      const refusal = ticket?.grow(chunk.length);
      if (refusal !== undefined) return stop({ kind: 'refused', refusal });
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const bytes = into === undefined ? Buffer.concat(chunks, size) : into.subarray(0, size);
      settle({ kind: 'ok', bytes });
    };
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
