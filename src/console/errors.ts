/**
 * The console's failure modes (CLI and JSON API alike), each with a stable `code`; an unknown
 * endpoint is ./endpoints.ts UnknownEndpointError.
 */
import { RegnotifyError } from '../errors.js';

/** A replay or drop named dead letters the endpoint does not have (nothing was changed). */
export class DeadLetterNotFoundError extends RegnotifyError {
  readonly ids: readonly string[];
  constructor(endpoint: string, ids: readonly string[]) {
    super(
      'ERR_DEAD_LETTER_NOT_FOUND',
      `endpoint ${endpoint} has no dead letter with id ${ids.join(', ')}`,
    );
    this.ids = ids;
  }
}

/** A request the console cannot act on as given (what is wrong is in the message). */
export class ConsoleRequestError extends RegnotifyError {
  constructor(message: string) {
    super('ERR_BAD_REQUEST', message);
  }
}
