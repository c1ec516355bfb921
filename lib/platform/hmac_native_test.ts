import { nativeHmacSha256With, sha256Hex } from "./hmac_native.ts";
import { constantTimeEqual } from "../failover/messages.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const toHex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const hmacSha256 = (key: Uint8Array, data: Uint8Array) => nativeHmacSha256With(key)(data);
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

const text = (s: string) => new TextEncoder().encode(s);
const fill = (n: number, b: number) => new Uint8Array(n).fill(b);

Deno.test("sha256: FIPS 180-2 appendix vectors", () => {
  assertEquals(
    sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256: padding boundaries 55/56/63/64 bytes hash without error and differ", () => {
  const seen = new Set<string>();
  for (const n of [55, 56, 63, 64, 65, 119, 120]) seen.add(sha256Hex(latin1(fill(n, 0x61))));
  assertEquals(seen.size, 7);
  // The long FIPS 180-2 vector: 1,000,000 x "a".
  assertEquals(
    sha256Hex("a".repeat(1_000_000)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

// RFC 4231 §4.2-§4.8.
Deno.test("hmacSha256: RFC 4231 test cases 1-7", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      fill(20, 0x0b),
      text("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      fill(20, 0xaa),
      fill(50, 0xdd),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    [
      Uint8Array.from({ length: 25 }, (_, i) => i + 1),
      fill(50, 0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    [
      fill(131, 0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      fill(131, 0xaa),
      text(
        "This is a test using a larger than block-size key and a larger than block-size data. " +
          "The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, want] of cases) assertEquals(toHex(hmacSha256(key, data)), want);
  // Test case 5: output truncated to 128 bits.
  assertEquals(
    toHex(hmacSha256(fill(20, 0x0c), text("Test With Truncation")).subarray(0, 16)),
    "a3b6167473100ee06e0c796c2955552b",
  );
});

Deno.test("nativeHmacSha256With binds a string secret; constantTimeEqual", () => {
  const f = nativeHmacSha256With("Jefe");
  assertEquals(
    toHex(f(text("what do ya want for nothing?"))),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assert(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assert(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assert(!constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 2])));
});
