import assert from "node:assert/strict";
import {
  ByteReader,
  bytesEqual,
  ByteWriter,
  concatBytes,
  fromHex,
  readU16,
  readU32,
  toHex,
} from "./bytes.ts";

Deno.test("ByteReader: reads big-endian and returns undefined past the end", () => {
  const r = new ByteReader(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u32(), 0x04050607);
  assert.equal(r.remaining, 1);
  assert.equal(r.u16(), undefined);
  assert.equal(r.u32(), undefined);
  assert.equal(r.bytes(2), undefined);
  assert.equal(r.bytes(-1), undefined);
  assert.equal(r.offset, 7, "failed reads do not move the cursor");
  assert.deepEqual(r.bytes(1), new Uint8Array([8]));
  assert.equal(r.u8(), undefined);
});

Deno.test("readU32: unsigned even with the top bit set; short buffers read as zero", () => {
  assert.equal(readU32(new Uint8Array([0xff, 0xff, 0xff, 0xfe]), 0), 0xfffffffe);
  assert.equal(readU32(new Uint8Array([0x12]), 0), 0x12000000);
  assert.equal(readU16(new Uint8Array([]), 5), 0);
});

Deno.test("ByteWriter: grows past its initial capacity and pads fixed fields", () => {
  const w = new ByteWriter(1);
  for (let i = 0; i < 100; i++) w.u32(0xdeadbeef);
  assert.equal(w.length, 400);
  w.fixed(new Uint8Array([1, 2, 3]), 5).fixed(new Uint8Array([9, 9, 9]), 2).zeros(2).u16(0x0102);
  const out = w.finish();
  assert.equal(out.length, 400 + 5 + 2 + 2 + 2);
  assert.equal(toHex(out.subarray(0, 4)), "deadbeef");
  assert.equal(toHex(out.subarray(400)), "01020300000909" + "0000" + "0102");
});

Deno.test("fromHex: accepts the usual spellings and rejects the rest", () => {
  for (const t of ["01:02:ab", "01-02-AB", "01 02 ab", "0102ab", "0x0102ab", "1:2:ab"]) {
    assert.equal(toHex(fromHex(t)!), "0102ab", t);
  }
  assert.equal(fromHex("")?.length, 0);
  for (const t of ["0102a", "zz", "01:02:", "01::02", "123:00", "0x"]) {
    if (t === "0x") assert.equal(fromHex(t)?.length, 0);
    else assert.equal(fromHex(t), undefined, t);
  }
});

Deno.test("toHex / bytesEqual / concatBytes", () => {
  assert.equal(toHex(new Uint8Array([0, 15, 255]), ":"), "00:0f:ff");
  assert.ok(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assert.ok(!bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1])));
  assert.ok(!bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  const c = concatBytes([new Uint8Array([1]), new Uint8Array(), new Uint8Array([2, 3])]);
  assert.equal(toHex(c), "010203");
});
