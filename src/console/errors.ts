/** The console's failure modes (CLI and JSON API alike), each with a stable `code`. */
import { RegnotifyError } from '../errors.js';

/** An operation named an endpoint regnotify does not know. Names the known ones. */
export class UnknownEndpointError extends RegnotifyError {
  readonly known: readonly string[];
  constructor(name: string, known: readonly string[]) {
    super(
      'ERR_UNKNOWN_ENDPOINT',
      `unknown endpoint "${name}" (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
    this.known = known;
  }
}

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
