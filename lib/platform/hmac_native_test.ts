import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { hmacSha256With } from "../failover/hmac_sha256.ts";
import { nativeHmacSha256With } from "./hmac_native.ts";

Deno.test("native HMAC-SHA-256 agrees with the pure one (RFC 4231 case 2 and random data)", () => {
  const rfc = nativeHmacSha256With("Jefe")(
    new TextEncoder().encode("what do ya want for nothing?"),
  );
  assertEquals(
    [...rfc].map((b) => b.toString(16).padStart(2, "0")).join(""),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0xff;
  for (const len of [0, 1, 55, 56, 63, 64, 65, 1500, 2048]) {
    const data = Uint8Array.from({ length: len }, next);
    const secret = Uint8Array.from({ length: 20 + len % 90 }, next);
    assertEquals(nativeHmacSha256With(secret)(data), hmacSha256With(secret)(data));
  }
});
