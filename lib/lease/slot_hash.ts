/**
 * An open-addressing hash table from a uint32 key to a slot number (uint32), in one
 * Uint32Array of [key, slot + 1] pairs: no object, no boxed number and no Map entry per record,
 * which is what lets the lease index hold 100,000 records in a few MiB (bench_memory.ts).
 * Linear probing with backward-shift deletion (no tombstones), load factor at most 3/4.
 *
 * Keys may repeat (a multimap): the client index stores a hash of the client key, and several
 * records of one client, or two clients whose keys collide, share a key; callers check each
 * candidate slot. For the address index each key is stored once.
 */
const EMPTY = 0;

export class SlotHash {
  /** [key0, slot0 + 1, key1, slot1 + 1, ...]; slot + 1 === 0 marks an empty cell. */
  #cells: Uint32Array;
  #mask: number;
  #shift: number;
  #count = 0;

  constructor(initialBits = 4) {
    this.#cells = new Uint32Array(2 << initialBits);
    this.#mask = (1 << initialBits) - 1;
    this.#shift = 32 - initialBits;
  }

  get size(): number {
    return this.#count;
  }

  /** Home cell of a key: Fibonacci hashing spreads clustered keys (consecutive addresses). */
  #home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.#shift;
  }

  /** The slot stored under key, or -1 (for keys stored once). */
  get(key: number): number {
    const cells = this.#cells;
    const mask = this.#mask;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return -1;
      if (cells[2 * i] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Calls fn with every slot stored under key. */
  forEach(key: number, fn: (slot: number) => void): void {
    const cells = this.#cells;
    const mask = this.#mask;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return;
      if (cells[2 * i] === key) fn(v - 1);
      i = (i + 1) & mask;
    }
  }

  /** Adds (key, slot); the caller makes sure the pair is not already present. */
  add(key: number, slot: number): void {
    if ((this.#count + 1) * 4 > (this.#mask + 1) * 3) this.#grow();
    this.#insert(key >>> 0, slot);
    this.#count++;
  }

  /** Removes the pair (key, slot) if present. */
  remove(key: number, slot: number): void {
    const cells = this.#cells;
    const mask = this.#mask;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return;
      if (cells[2 * i] === key && v === slot + 1) break;
      i = (i + 1) & mask;
    }
    // Backward-shift: pull later entries of the probe run into the hole where that keeps them
    // reachable from their home cell.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = cells[2 * j + 1] as number;
      if (v === EMPTY) break;
      const home = this.#home(cells[2 * j] as number);
      // Entry j may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        cells[2 * hole] = cells[2 * j] as number;
        cells[2 * hole + 1] = v;
        hole = j;
      }
    }
    cells[2 * hole] = 0;
    cells[2 * hole + 1] = EMPTY;
    this.#count--;
  }

  #insert(key: number, slot: number): void {
    const cells = this.#cells;
    const mask = this.#mask;
    let i = this.#home(key);
    while (cells[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
    cells[2 * i] = key;
    cells[2 * i + 1] = slot + 1;
  }

  #grow(): void {
    const old = this.#cells;
    const bits = 33 - this.#shift;
    this.#cells = new Uint32Array(2 << bits);
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i + 1] as number;
      if (v !== EMPTY) this.#insert(old[i] as number, v - 1);
    }
  }
}

/** FNV-1a over UTF-16 code units: the client index's key for a client key string. */
export function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
