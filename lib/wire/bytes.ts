/**
 * Bounds-checked byte reader and growable writer. The reader never reads past its view: every
 * read returns undefined instead, so decoders can turn a short buffer into a typed error.
 */

export class ByteReader {
  #pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.buf.length - this.#pos;
  }

  u8(): number | undefined {
    const v = this.buf[this.#pos];
    if (v === undefined) return undefined;
    this.#pos += 1;
    return v;
  }

  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const v = readU16(this.buf, this.#pos);
    this.#pos += 2;
    return v;
  }

  u32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const v = readU32(this.buf, this.#pos);
    this.#pos += 4;
    return v;
  }

  /** A view (not a copy) of the next n bytes; undefined when fewer remain. */
  bytes(n: number): Uint8Array | undefined {
    if (n < 0 || this.remaining < n) return undefined;
    const v = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }
}

/** Reads a big-endian uint16; bytes past the end count as zero (callers check length). */
export function readU16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

/** Reads a big-endian uint32; bytes past the end count as zero (callers check length). */
export function readU32(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) |
    (b[at + 3] ?? 0)) >>> 0;
}

/** Appends big-endian integers and byte runs; grows as needed. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /** into: write into this buffer (from offset 0) while it has room, without allocating. */
  constructor(initialCapacity = 576, into?: Uint8Array) {
    this.#buf = into ?? new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#reserve(2);
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.#reserve(4);
    this.#buf[this.#len++] = (v >>> 24) & 0xff;
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Writes exactly n bytes: b truncated or zero-padded to n. */
  fixed(b: Uint8Array, n: number): this {
    this.#reserve(n);
    this.#buf.fill(0, this.#len, this.#len + n);
    this.#buf.set(b.length > n ? b.subarray(0, n) : b, this.#len);
    this.#len += n;
    return this;
  }

  zeros(n: number): this {
    this.#reserve(n);
    this.#buf.fill(0, this.#len, this.#len + n);
    this.#len += n;
    return this;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

export function toHex(b: Uint8Array, sep = ""): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (i > 0) s += sep;
    s += (b[i] ?? 0).toString(16).padStart(2, "0");
  }
  return s;
}

/**
 * Parses hex: "01:02:ab", "01-02-ab", "01 02 ab" or "0102ab" (case-insensitive, optional 0x).
 * Undefined when malformed.
 */
export function fromHex(text: string): Uint8Array | undefined {
  let t = text.trim();
  if (t.startsWith("0x") || t.startsWith("0X")) t = t.slice(2);
  let digits: string;
  if (/[:\- ]/.test(t)) {
    const parts = t.split(/\s*[:-]\s*|\s+/);
    if (parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
    digits = parts.map((p) => p.padStart(2, "0")).join("");
  } else {
    if (!/^[0-9a-fA-F]*$/.test(t) || t.length % 2 !== 0) return undefined;
    digits = t;
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
