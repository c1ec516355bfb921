/**
 * An open-addressing hash table from a uint32 key to a slot number (uint32), in one
 * Uint32Array of [key, slot + 1] pairs: no object, no boxed number and no Map entry per record,
 * which is what lets the lease index hold 100,000 records in a few MiB (bench_memory.ts).
 * Linear probing with backward-shift deletion (no tombstones), load factor at most 3/4; any
 * capacity (a key's home cell is its mixed hash scaled to the capacity), so that growing or
 * reserving for 100,000 records does not round up to 262,144 cells.
 *
 * Keys may repeat (a multimap): the client index stores a hash of the client key, and several
 * records of one client, or two clients whose keys collide, share a key; callers check each
 * candidate slot. For the address index each key is stored once.
 */
const EMPTY = 0;

export class SlotHash {
  /** [key0, slot0 + 1, key1, slot1 + 1, ...]; slot + 1 === 0 marks an empty cell. */
  #cells: Uint32Array;
  /** Number of cells. */
  #cap: number;
  #count = 0;

  constructor(initialCells = 16) {
    this.#cap = initialCells;
    this.#cells = new Uint32Array(2 * initialCells);
  }

  get size(): number {
    return this.#count;
  }

  /**
   * Home cell of a key: Fibonacci hashing spreads clustered keys (consecutive addresses), and
   * multiply-high maps the 32-bit hash onto [0, cap) without a power-of-two capacity.
   */
  #home(key: number): number {
    return Math.floor(((Math.imul(key, 0x9e3779b1) >>> 0) * this.#cap) / 4294967296);
  }

  /** The slot stored under key, or -1 (for keys stored once). */
  get(key: number): number {
    const cells = this.#cells;
    const cap = this.#cap;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return -1;
      if (cells[2 * i] === key) return v - 1;
      if (++i === cap) i = 0;
    }
  }

  /** Calls fn with every slot stored under key. */
  forEach(key: number, fn: (slot: number) => void): void {
    const cells = this.#cells;
    const cap = this.#cap;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return;
      if (cells[2 * i] === key) fn(v - 1);
      if (++i === cap) i = 0;
    }
  }

  /** Adds (key, slot); the caller makes sure the pair is not already present. */
  add(key: number, slot: number): void {
    if ((this.#count + 1) * 4 > this.#cap * 3) this.#rehash(Math.ceil(this.#cap * 1.5));
    this.#insert(key >>> 0, slot);
    this.#count++;
  }

  /** Removes the pair (key, slot) if present. */
  remove(key: number, slot: number): void {
    const cells = this.#cells;
    const cap = this.#cap;
    let i = this.#home(key);
    for (;;) {
      const v = cells[2 * i + 1] as number;
      if (v === EMPTY) return;
      if (cells[2 * i] === key && v === slot + 1) break;
      if (++i === cap) i = 0;
    }
    // Backward-shift: pull later entries of the probe run into the hole where that keeps them
    // reachable from their home cell.
    let hole = i;
    let j = i;
    for (;;) {
      if (++j === cap) j = 0;
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

  /** Grows now, once, so that entries in total fit without growing again. */
  reserve(entries: number): void {
    // Load 0.7 when full: short probe runs, and some room before the next growth.
    const cells = Math.ceil(entries / 0.7);
    if (entries * 4 > this.#cap * 3) this.#rehash(cells);
  }

  #insert(key: number, slot: number): void {
    const cells = this.#cells;
    const cap = this.#cap;
    let i = this.#home(key);
    while (cells[2 * i + 1] !== EMPTY) if (++i === cap) i = 0;
    cells[2 * i] = key;
    cells[2 * i + 1] = slot + 1;
  }

  #rehash(cells: number): void {
    const old = this.#cells;
    this.#cells = new Uint32Array(2 * cells);
    this.#cap = cells;
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
