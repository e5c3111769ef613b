import { randomBytes } from 'node:crypto';

/**
 * RFC 9562 UUID version 7, as registry 3.1 uses for event and request ids (google/uuid's
 * `NewV7`): 48 bits of Unix milliseconds, version 7, 12 bits `rand_a`, variant `10`, 62 random
 * bits. Lowercase and hyphenated, 36 characters.
 *
 * Ids made in the same process sort in creation order: `rand_a` is a counter that starts at a
 * random value in each new millisecond and counts up within it (RFC 9562 §6.2, method 1). If
 * the counter runs out, or the clock steps back, the timestamp is carried forward instead of
 * repeating, so an id never sorts before an earlier one.
 */

const CounterMax = 0xfff;
/** The counter starts in the lower half so a millisecond has room for ≥ 2,048 ids. */
const CounterSeedMask = 0x7ff;

let lastMs = -1;
let counter = 0;

export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  let ms = Math.max(0, Math.floor(now));
  if (ms > lastMs) {
    counter = seedCounter(bytes);
  } else if (counter < CounterMax) {
    ms = lastMs;
    counter += 1;
  } else {
    ms = lastMs + 1;
    counter = seedCounter(bytes);
  }
  lastMs = ms;

  // 48-bit big-endian milliseconds; split because JS bit operators are 32-bit.
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms % 0x1_0000_0000;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = (low >>> 24) & 0xff;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);

  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function seedCounter(bytes: Buffer): number {
  return (((bytes[6] ?? 0) << 8) | (bytes[7] ?? 0)) & CounterSeedMask;
}

/** The millisecond timestamp carried by a version 7 UUID (for tests and diagnostics). */
export function uuidv7Time(id: string): number {
  const hex = id.replace(/-/g, '').slice(0, 12);
  return Number.parseInt(hex, 16);
}
