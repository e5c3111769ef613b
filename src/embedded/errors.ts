import { RegnotifyError } from '../errors.js';

/**
 * The embedded redis-server could not be found, started or kept running, or no port was free for
 * it. Its own module, so that the supervisor (which redis-server.ts imports) can raise it too.
 */
export class EmbeddedRedisError extends RegnotifyError {
  constructor(
    code: 'ERR_REDIS_NOT_FOUND' | 'ERR_REDIS_START' | 'ERR_REDIS_GAVE_UP' | 'ERR_NO_FREE_PORT',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}
