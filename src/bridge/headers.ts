/**
 * The part of a Node `IncomingMessage` the bridge reads. An `IncomingMessage` is one; tests may
 * pass a plain object.
 */
export interface RequestLike {
  /** Header names and values alternating, as received (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly socket: {
    readonly remoteAddress?: string | undefined;
    readonly remotePort?: number | undefined;
    /** Set (true) on a TLS socket. */
    readonly encrypted?: boolean;
  };
}

/**
 * The first value of a header, like Go's `Header.Get`. Read from `rawHeaders` because Node joins
 * repeated headers with ", " in `headers`, which would turn two valid `X-Real-Ip` lines into
 * one unparsable value.
 */
export function firstHeader(req: RequestLike, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === wanted) return raw[i + 1];
  }
  return undefined;
}
