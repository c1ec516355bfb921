/**
 * RFC 3074 load balancing: Pearson's hash of the client's identity into one of 256 buckets,
 * and the 32-byte hash bucket assignment (HBA) bitmap that says which server serves a bucket.
 * Used by serving.ts in NORMAL state (draft-12 §5.3, §9.8.2).
 */

/**
 * RFC 3074 §6 "mixing table" (loadb_mx_tbl), transcribed from rfc3074.txt; a permutation of
 * 0..255 (hash_test.ts checks that). Interoperability requires exactly these values.
 */
// deno-fmt-ignore
export const LOADB_MIX_TABLE: readonly number[] = [
  251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232,
  31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223,
  59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65,
  180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97, 16,
  40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67,
  207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5,
  20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245,
  230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241, 73, 88, 105,
  39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84,
  82, 163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239,
  195, 42, 106, 198, 118, 112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253,
  137, 185, 99, 164, 102, 147, 45, 66, 231, 52, 141, 211, 194, 206, 246, 238,
  56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50,
  33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213,
  96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4,
  216, 131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
];

/**
 * How much of the key is hashed. RFC 3074 §4: at most the first 16 bytes of the client
 * identifier (or chaddr). ISC dhcpd hashes the whole option 61 value (isc-notes §3.5), which
 * differs for client ids longer than 16 bytes (RFC 4361 ids). Both peers must agree.
 */
export type HashKeyMode = "rfc3074" | "isc";

/** RFC 3074 §6 loadb_p_hash: start at the key length (as an unsigned char), walk the key backwards. */
export function pearsonHash(key: Uint8Array): number {
  let hash = key.length & 0xff;
  for (let i = key.length; i > 0;) hash = LOADB_MIX_TABLE[(hash ^ key[--i]!) & 0xff]!;
  return hash;
}

/**
 * The bucket (0..255) of a client. key is the client identifier (option 61 value) if the
 * client sent one, else chaddr cut to hlen (RFC 3074 §4, draft-12 §9.8.2); mode picks the
 * truncation.
 */
export function bucketOf(key: Uint8Array, mode: HashKeyMode): number {
  return pearsonHash(mode === "rfc3074" && key.length > 16 ? key.subarray(0, 16) : key);
}

/** RFC 3074 §5.2: octet 0 holds buckets 0-7, the least significant bit is the lowest bucket. */
export function hbaHasBucket(hba: Uint8Array, bucket: number): boolean {
  return (((hba[(bucket >> 3) & 31] ?? 0) >> (bucket & 7)) & 1) === 1;
}

/**
 * ISC `split N`: buckets 0..N-1 set (isc-notes §3.4). In Tandem's HBA a set bit means the
 * PRIMARY serves the bucket (ISC meaning), so split 256 is hot standby on the primary, split 0
 * hands every bucket to the secondary.
 */
export function hbaFromSplit(split: number): Uint8Array {
  const n = Math.max(0, Math.min(256, Math.floor(split)));
  const hba = new Uint8Array(32);
  for (let b = 0; b < n; b++) hba[b >> 3]! |= 1 << (b & 7);
  return hba;
}

/** Bitwise complement: converts between the ISC meaning and the draft meaning (isc-notes §3.4). */
export function hbaInvert(hba: Uint8Array): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => ~(hba[i] ?? 0) & 0xff);
}

/** Number of buckets set. */
export function hbaCount(hba: Uint8Array): number {
  let n = 0;
  for (let b = 0; b < 256; b++) if (hbaHasBucket(hba, b)) n++;
  return n;
}

/**
 * What a set bit in the hash-bucket-assignment option (11) of CONNECT means on the wire.
 * "isc": the primary serves set buckets (ISC dhcpd, isc-notes §3.4). "draft": the secondary
 * serves set buckets (draft-12 §5.3, §12.11). Tandem keeps its internal HBA in the ISC meaning.
 */
export type HbaWireMeaning = "isc" | "draft";

/** The primary's internal HBA (set = primary) as sent in CONNECT option 11 (draft-12 §7.8.1). */
export function hbaToWire(primaryHba: Uint8Array, meaning: HbaWireMeaning): Uint8Array {
  return meaning === "isc" ? primaryHba.slice() : hbaInvert(primaryHba);
}

/** CONNECT option 11 as received by the secondary, back to the internal (set = primary) form. */
export function hbaFromWire(wire: Uint8Array, meaning: HbaWireMeaning): Uint8Array {
  return meaning === "isc" ? wire.slice(0, 32) : hbaInvert(wire);
}
