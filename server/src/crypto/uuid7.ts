import { randomBytes } from 'node:crypto';

/**
 * Random bytes are drawn 4 KiB at a time and handed out 16 at a time, each byte once: a call
 * into the CSPRNG per id cost more than the rest of the id (as Node's own `randomUUID` pools).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomBlock(): Buffer {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const block = Buffer.allocUnsafe(16);
  pool.copy(block, 0, poolOffset, poolOffset + 16);
  // Handed out once: zeroed in the pool, so no later reader of it sees the id's random part.
  pool.fill(0, poolOffset, poolOffset + 16);
  poolOffset += 16;
  return block;
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids that
 * grow with time land at the right edge of B-tree indexes, so an insert dirties (and, in an
 * encrypted database, re-encrypts) a few pages at the end instead of a random page per index.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBlock();
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
