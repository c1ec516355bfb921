/**
 * Scopes synced by the pair (issue #12 item 2): a box's scope tables (config/scope_doc.ts, as
 * JSON text) cut into Tandem messages (type 200, vendor sub-option 2) that fit the draft's
 * 2048-byte message (§6.1), and put together again on the other side. Each piece says which
 * document it belongs to (the sender's scope fingerprint, first 32 bits) and its place, so a
 * document sent again after a change replaces the one being collected. Pure.
 */
/** Vendor sub-option of the Tandem message carrying a piece of a scope document. */
export const VENDOR_SCOPES = 2;
/** Document bytes per piece: with the 8-byte piece header, the digest and the framing the
 * message stays far below 2048 bytes. */
const PIECE = 1600;
/** The largest document accepted (a pair with thousands of subnets stays below it). */
const MAX_DOCUMENT = 4 * 1024 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The fingerprint's first 8 hex digits as the document's version. */
export function versionOf(fingerprint: string): number {
  return Number.parseInt(fingerprint.slice(0, 8), 16) >>> 0;
}

/** The pieces of `text`, each a vendor sub-option value: version, index, count, bytes. */
export function scopePieces(text: string, version: number): Uint8Array[] {
  const bytes = enc.encode(text);
  const count = Math.max(1, Math.ceil(bytes.length / PIECE));
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = bytes.subarray(i * PIECE, (i + 1) * PIECE);
    const piece = new Uint8Array(8 + part.length);
    const v = new DataView(piece.buffer);
    v.setUint32(0, version);
    v.setUint16(4, i);
    v.setUint16(6, count);
    piece.set(part, 8);
    out.push(piece);
  }
  return out;
}

/** Collects pieces; a whole document comes out once its last piece is in. */
export class ScopeAssembler {
  #version: number | undefined;
  #parts: (Uint8Array | undefined)[] = [];
  #have = 0;

  /** undefined until the document is whole (or for a malformed piece, which resets). */
  push(piece: Uint8Array): { version: number; text: string } | undefined {
    if (piece.length < 8) return this.#reset();
    const v = new DataView(piece.buffer, piece.byteOffset, piece.byteLength);
    const version = v.getUint32(0), index = v.getUint16(4), count = v.getUint16(6);
    if (count === 0 || index >= count || count * PIECE > MAX_DOCUMENT) return this.#reset();
    if (version !== this.#version || count !== this.#parts.length) {
      this.#version = version;
      this.#parts = new Array(count).fill(undefined);
      this.#have = 0;
    }
    if (this.#parts[index] === undefined) this.#have++;
    this.#parts[index] = piece.slice(8);
    if (this.#have < count) return undefined;
    const whole = new Uint8Array(this.#parts.reduce((n, p) => n + p!.length, 0));
    let at = 0;
    for (const p of this.#parts) {
      whole.set(p!, at);
      at += p!.length;
    }
    this.#reset();
    return { version, text: dec.decode(whole) };
  }

  #reset(): undefined {
    this.#version = undefined;
    this.#parts = [];
    this.#have = 0;
    return undefined;
  }
}
