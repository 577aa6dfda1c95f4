/** Bits in the filter: 2^20 (128 KiB), allocated once. */
const BITS = 1 << 20;
/** Bits set per name. */
const PROBES = 3;
/**
 * Names marked before the filter starts over. With 3 probes into 2^20 bits, 2^17 names leave about 3% of
 * never-asked names looking asked; starting over bounds that share (at 300 new names a second, every
 * 7 minutes).
 */
const GENERATION = 1 << 17;

/**
 * A 32-bit hash of `text` from `seed`: FNV-1a over its UTF-16 code units, then MurmurHash3's finalizer,
 * which makes every bit of the result (the low ones pick a bit here) depend on every bit of the input.
 */
function hash(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Tells whether a name was asked before, recently: a Bloom filter over the names asked, started over
 * every `GENERATION` names (the "doorkeeper" of TinyLFU). A cache admits a body only on its second ask,
 * so bodies asked once (most free-form searches) are never held, and hold no memory here either: the
 * filter is one fixed bit array, whatever the names. It may take a name never asked for one asked (a
 * false positive, which only admits a body early), never the reverse, except across a start over.
 */
export class Doorkeeper {
  private readonly bits = new Uint32Array(BITS / 32);
  private marked = 0;

  /** Whether `name` was asked since the filter last started over; marks it as asked either way. */
  askedBefore(name: string): boolean {
    // Double hashing: the probes h1, h1 + h2, h1 + 2·h2, ... are as good as independent hashes.
    const h1 = hash(name, 0x811c9dc5);
    const h2 = hash(name, 0x050c5d1f) | 1;
    let seen = true;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & (BITS - 1);
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if (((this.bits[word] as number) & mask) === 0) {
        seen = false;
        this.bits[word] = (this.bits[word] as number) | mask;
      }
    }
    if (!seen && ++this.marked >= GENERATION) {
      this.bits.fill(0);
      this.marked = 0;
    }
    return seen;
  }
}
