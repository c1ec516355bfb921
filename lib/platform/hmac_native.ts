/**
 * HMAC-SHA-256 for the failover message digest (draft-12 §11.1, option 17) and SHA-256 for the
 * scope-config fingerprint, through node:crypto (native code; no hand-written crypto). The pure
 * cores take them injected (peer.ts digestWith, fingerprint.ts hashHex). RFC 4231 and FIPS
 * 180-2 vectors check them (hmac_native_test.ts).
 */
import { createHash, createHmac } from "node:crypto";
import type { DigestFn } from "../failover/messages.ts";

export function nativeHmacSha256With(secret: Uint8Array | string): DigestFn {
  const key = typeof secret === "string" ? secret : secret.slice();
  return (data) => {
    const d = createHmac("sha256", key).update(data).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  };
}

/** SHA-256 of text (UTF-8), lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
