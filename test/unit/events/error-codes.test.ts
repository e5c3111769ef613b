/** Every error the wire-format code throws carries a stable `code` (src/errors.ts's habit). */
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../src/events/encode.js';
import { parseJsonTree } from '../../../src/events/jsontree.js';
import { formatTimestamp } from '../../../src/events/timestamp.js';
import type { Event } from '../../../src/events/types.js';
import { makeEvent } from '../../fixtures/sample-event.js';
import { thrown } from '../../helpers/thrown.js';

describe('error codes of src/events', () => {
  it('invalid JSON: JsonSyntaxError, a SyntaxError, ERR_JSON_SYNTAX', () => {
    const err = thrown(() => parseJsonTree('{"a": }'));
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err).toMatchObject({ name: 'JsonSyntaxError', code: 'ERR_JSON_SYNTAX' });
  });

  it("a value Go's encoder refuses: a TypeError, ERR_JSON_UNSUPPORTED", () => {
    const event = { ...makeEvent(1), extra: Number.NaN } as Event;
    const err = thrown(() => encodeEvent(event));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({ code: 'ERR_JSON_UNSUPPORTED' });
  });

  it('a timestamp out of range: a RangeError, ERR_INVALID_TIMESTAMP', () => {
    const err = thrown(() => formatTimestamp(new Date(Number.NaN)));
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_TIMESTAMP' });
  });
});
