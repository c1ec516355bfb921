import { deepStrictEqual, equal } from "node:assert/strict";
import { SlotHash, stringHash } from "./slot_hash.ts";

/** A deterministic PRNG, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

Deno.test("SlotHash: random adds and removes agree with a Map, through growth", () => {
  const h = new SlotHash(4);
  const ref = new Map<number, number>();
  const next = rng(7);
  for (let step = 0; step < 50_000; step++) {
    // Keys from a small range, so removals and re-adds hit long probe runs and wrap-around.
    const key = (0xfffff000 + (next() % 3000)) >>> 0;
    if (ref.has(key) && next() % 3 !== 0) {
      h.remove(key, ref.get(key) as number);
      ref.delete(key);
    } else if (!ref.has(key)) {
      const slot = next() % 100_000;
      h.add(key, slot);
      ref.set(key, slot);
    }
    if (step % 997 === 0) {
      for (const [k, v] of ref) equal(h.get(k), v);
    }
  }
  equal(h.size, ref.size);
  for (const [k, v] of ref) equal(h.get(k), v);
  equal(h.get(12345), -1);
});

Deno.test("SlotHash: a key may hold several slots; remove takes the exact pair", () => {
  const h = new SlotHash();
  h.reserve(1000);
  for (let s = 0; s < 5; s++) h.add(42, s);
  h.add(43, 9);
  h.remove(42, 2);
  h.remove(42, 77); // absent pair: no-op
  const got: number[] = [];
  h.forEach(42, (s) => got.push(s));
  deepStrictEqual(got.sort(), [0, 1, 3, 4]);
  equal(h.get(43), 9);
  equal(h.size, 5);
});

Deno.test("stringHash is FNV-1a over UTF-16 units", () => {
  equal(stringHash(""), 0x811c9dc5);
  equal(stringHash("a"), 0xe40c292c);
});
