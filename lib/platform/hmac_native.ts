/**
 * HMAC-SHA-256 for the failover message digest (draft-12 §11.1, option 17) through node:crypto,
 * which runs in native code: about 10 µs for a full 2,048-byte BNDUPD where the pure
 * TypeScript one (failover/hmac_sha256.ts) takes about 26 µs. Every BNDUPD and BNDACK is
 * signed by one box and checked by the other, so the runtime injects this one; the pure one
 * stays for the codec's own tests and the configuration fingerprint. A test checks they agree.
 */
import { createHmac } from "node:crypto";
import type { DigestFn } from "../failover/messages.ts";

export function nativeHmacSha256With(secret: Uint8Array | string): DigestFn {
  const key = typeof secret === "string" ? secret : secret.slice();
  return (data) => {
    const d = createHmac("sha256", key).update(data).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  };
}
