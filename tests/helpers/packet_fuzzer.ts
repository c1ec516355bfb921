/**
 * Deterministic generator of hostile DHCPv4 inputs, shared by the codec fuzz test and (later)
 * fuzzing of the DHCP core's handle(). Seeded PRNG only: the same (count, seed) always yields
 * the same inputs, so any failure is reproducible from the printed index.
 */
import { fixtureBytes, FIXTURES } from "../fixtures/packets.ts";

/** mulberry32: small, fast, good enough to drive a fuzzer; never Math.random. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Strategy =
  | "bit-flip"
  | "truncate"
  | "length-corrupt"
  | "overload"
  | "many-options"
  | "random-options"
  | "header-noise"
  | "splice"
  | "random-bytes";

const STRATEGIES: readonly (readonly [Strategy, number])[] = [
  ["bit-flip", 18],
  ["truncate", 8],
  ["length-corrupt", 14],
  ["overload", 14],
  ["many-options", 3],
  ["random-options", 22],
  ["header-noise", 8],
  ["splice", 6],
  ["random-bytes", 7],
];
const TOTAL_WEIGHT = STRATEGIES.reduce((n, [, w]) => n + w, 0);

const SEEDS: readonly Uint8Array[] = FIXTURES.map((f) => fixtureBytes(f.hex));
const COOKIE = [0x63, 0x82, 0x53, 0x63];

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  byte(): number {
    return this.int(256);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.byte();
    return b;
  }
  /** A plausible option code: often interesting ones, sometimes any. */
  code(): number {
    return this.rnd() < 0.6
      ? this.pick([1, 3, 6, 12, 50, 51, 52, 53, 54, 55, 57, 61, 81, 82, 119, 121])
      : this.byte();
  }
  /** Valid TLVs (sometimes with Pad, sometimes unterminated) of roughly `budget` bytes. */
  options(budget: number, allowOverload: boolean): number[] {
    const out: number[] = [];
    while (out.length < budget) {
      const r = this.rnd();
      if (r < 0.05) out.push(0);
      else {
        let code = this.code();
        if (!allowOverload && code === 52) code = 12;
        if (code === 0 || code === 255) code = 7;
        const len = code === 53 || code === 52 ? 1 : this.int(this.rnd() < 0.9 ? 12 : 256);
        if (out.length + 2 + len > budget) break;
        out.push(code, len);
        for (let i = 0; i < len; i++) out.push(code === 52 ? 1 + this.int(3) : this.byte());
      }
    }
    if (this.rnd() < 0.9) out.push(255);
    return out;
  }
}

function header(g: Gen, base?: Uint8Array): number[] {
  const h = base ? [...base.subarray(0, 236)] : [...g.bytes(236)];
  if (!base) {
    h[0] = g.rnd() < 0.95 ? 1 + g.int(2) : g.byte();
    h[2] = g.rnd() < 0.8 ? 6 : g.byte();
  }
  return h;
}

function mutate(g: Gen, s: Strategy): Uint8Array {
  const seed = g.pick(SEEDS);
  switch (s) {
    case "bit-flip": {
      const b = seed.slice();
      const flips = 1 + g.int(8);
      // Mostly hit the options area, where the parser lives.
      for (let i = 0; i < flips; i++) {
        const at = g.rnd() < 0.8 ? 236 + g.int(b.length - 236) : g.int(b.length);
        b[at] = (b[at] ?? 0) ^ (1 << g.int(8));
      }
      return b;
    }
    case "truncate":
      return seed.slice(0, g.rnd() < 0.5 ? 240 + g.int(seed.length - 240) : g.int(seed.length));
    case "length-corrupt": {
      const b = seed.slice();
      const lens: number[] = [];
      for (let i = 240; i + 1 < b.length && b[i] !== 255;) {
        if (b[i] === 0) {
          i++;
          continue;
        }
        lens.push(i + 1);
        i += 2 + (b[i + 1] ?? 0);
      }
      if (lens.length > 0) {
        b[g.pick(lens)] = g.pick([0, 1, 255, g.byte(), (b[g.pick(lens)] ?? 0) + 1]);
      }
      return b;
    }
    case "overload": {
      const h = header(g, seed);
      const which = g.rnd() < 0.85 ? 1 + g.int(3) : g.pick([0, 4, 255]);
      const file = g.options(g.int(140), g.rnd() < 0.2);
      const sname = g.options(g.int(70), g.rnd() < 0.2);
      h.splice(
        108,
        128,
        ...file.slice(0, 128),
        ...new Array(Math.max(0, 128 - file.length)).fill(0),
      );
      h.splice(44, 64, ...sname.slice(0, 64), ...new Array(Math.max(0, 64 - sname.length)).fill(0));
      const opts = g.options(g.int(80), false);
      const ov = g.rnd() < 0.9 ? [52, 1, which] : [52, g.int(3), which, which];
      opts.splice(g.int(opts.length), 0, ...ov);
      return new Uint8Array([...h.slice(0, 236), ...COOKIE, ...opts]);
    }
    case "many-options": {
      // Thousands of tiny instances of a few codes: RFC 3396 concatenation at scale.
      const n = g.rnd() < 0.05 ? 20000 : 200 + g.int(1500);
      const codes = [g.code(), g.code(), 82];
      const opts: number[] = [];
      for (let i = 0; i < n; i++) {
        const len = g.int(4);
        opts.push(g.pick(codes) || 1, len);
        for (let k = 0; k < len; k++) opts.push(g.byte());
      }
      opts.push(255);
      return new Uint8Array([...header(g, seed), ...COOKIE, ...opts]);
    }
    case "random-options":
      return new Uint8Array([...header(g), ...COOKIE, ...g.options(g.int(400), g.rnd() < 0.3)]);
    case "header-noise": {
      const b = seed.slice();
      b[g.pick([0, 1, 2, 2, 2, 3])] = g.byte(); // op, htype, hlen (often > 16), hops
      if (g.rnd() < 0.3) b[236 + g.int(4)] = g.byte(); // cookie
      return b;
    }
    case "splice": {
      const other = g.pick(SEEDS);
      const cut = 236 + g.int(seed.length - 236);
      return new Uint8Array([
        ...seed.subarray(0, cut),
        ...other.subarray(240 + g.int(other.length - 240)),
      ]);
    }
    case "random-bytes": {
      const b = g.bytes(g.int(700));
      if (b.length >= 240 && g.rnd() < 0.6) b.set(COOKIE, 236);
      return b;
    }
  }
}

/** Calls visit(bytes, index, strategy) for `count` generated inputs. Deterministic. */
export function fuzzDhcpInputs(
  count: number,
  seed: number,
  visit: (bytes: Uint8Array, index: number, strategy: Strategy) => void,
): void {
  const g = new Gen(prng(seed));
  for (let i = 0; i < count; i++) {
    let pickAt = g.int(TOTAL_WEIGHT);
    let s: Strategy = "random-bytes";
    for (const [name, w] of STRATEGIES) {
      if (pickAt < w) {
        s = name;
        break;
      }
      pickAt -= w;
    }
    visit(mutate(g, s), i, s);
  }
}
