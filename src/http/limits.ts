/**
 * What the ingest's requests in progress may hold together: how many there are, and how many
 * body bytes they carry (read, being parsed, or waiting for Redis). A request is admitted or
 * refused by its declared Content-Length before its body is read; a chunked body reserves its
 * bytes as they arrive. Every admitted request gives back what it holds when it ends, whatever
 * the outcome.
 *
 * Memory per request is proportional to its body (bench/flood.ts measures the factor), so the
 * byte bound is what bounds the ingest's memory under a flood; the request bound caps the
 * per-request overhead of many small requests (sockets, parsers, Redis commands queued).
 */

export interface InFlightLimits {
  /** Body bytes of all requests in progress together. */
  maxInFlightBytes: number;
  /** Requests in progress on the ingest path. */
  maxConcurrentRequests: number;
}

/** Which bound refused a request, and the words that say so. */
export interface Refusal {
  code: 'ERR_TOO_MANY_REQUESTS' | 'ERR_TOO_MANY_BYTES';
  message: string;
}

/** One admitted request's share. `release` is idempotent. */
export interface Ticket {
  /** Reserve `n` more bytes (a chunked body as it arrives); a Refusal when they do not fit. */
  grow(n: number): Refusal | undefined;
  release(): void;
}

export interface InFlight {
  /** Admit a request declaring `declaredBytes` (0 when chunked), or say which bound refuses it. */
  admit(declaredBytes: number): Ticket | Refusal;
  readonly requests: number;
  readonly bytes: number;
}

export function isRefusal(x: Ticket | Refusal): x is Refusal {
  return 'code' in x;
}

export function createInFlight(limits: InFlightLimits): InFlight {
  let requests = 0;
  let bytes = 0;
  const tooManyBytes = (adding: number): Refusal => ({
    code: 'ERR_TOO_MANY_BYTES',
    message:
      `ingest busy: ${bytes} body bytes in progress, ${adding} more would pass the limit of ` +
      `${limits.maxInFlightBytes} (ingest.maxInFlightBytes); retry later`,
  });

  return {
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes;
    },
    admit(declared) {
      if (requests >= limits.maxConcurrentRequests) {
        return {
          code: 'ERR_TOO_MANY_REQUESTS',
          message:
            `ingest busy: ${requests} requests in progress, the limit of ` +
            `${limits.maxConcurrentRequests} (ingest.maxConcurrentRequests); retry later`,
        };
      }
      // A request alone always fits (the ingest requires maxInFlightBytes >= maxBodyBytes), so
      // no body the ingest accepts can be refused for ever.
      if (bytes + declared > limits.maxInFlightBytes) return tooManyBytes(declared);
      requests++;
      bytes += declared;
      let held = declared;
      let released = false;
      return {
        grow(n) {
          if (released) return undefined;
          if (bytes + n > limits.maxInFlightBytes) return tooManyBytes(n);
          bytes += n;
          held += n;
          return undefined;
        },
        release() {
          if (released) return;
          released = true;
          requests--;
          bytes -= held;
        },
      };
    },
  };
}
