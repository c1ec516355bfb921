import assert from "node:assert/strict";
import {
  concatenate,
  decodeOptions,
  encodedOptionSize,
  encodeOptionsArea,
  OPTIONS_OFFSET,
  orderOptionCodes,
  scanOptionArea,
} from "./dhcp_options.ts";
import { toHex } from "./bytes.ts";

/** A 240-byte header + cookie with the given options area, file and sname fields. */
function message(options: number[], file: number[] = [], sname: number[] = []): Uint8Array {
  const b = new Uint8Array(240 + options.length);
  b[0] = 1;
  b.set(sname, 44);
  b.set(file, 108);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  b.set(options, 240);
  return b;
}

function bagOf(entries: [number, number[]][]): Map<number, Uint8Array> {
  return new Map(entries.map(([c, v]) => [c, new Uint8Array(v)]));
}

Deno.test("scan: skips Pad, stops at End, ignores bytes after End", () => {
  const r = scanOptionArea(new Uint8Array([0, 0, 53, 1, 1, 0, 255, 99, 99]), 240);
  assert.ok(r.ok);
  assert.deepEqual(r.options.map((o) => [o.code, o.offset]), [[53, 242]]);
});

Deno.test("scan: an area exactly filled without End is accepted", () => {
  const r = scanOptionArea(new Uint8Array([53, 1, 3, 12, 0]), 0);
  assert.ok(r.ok);
  assert.deepEqual(r.options.map((o) => [o.code, o.data.length]), [[53, 1], [12, 0]]);
});

Deno.test("scan: a length running past the area is truncated-option, with its offset", () => {
  const r = scanOptionArea(new Uint8Array([53, 1, 1, 12, 9, 65, 66]), 240);
  assert.ok(!r.ok);
  assert.equal(r.error.kind, "truncated-option");
  assert.equal(r.error.offset, 243);
});

Deno.test("scan: a code byte with no length byte at the very end is missing-end", () => {
  const r = scanOptionArea(new Uint8Array([53, 1, 1, 12]), 240);
  assert.ok(!r.ok);
  assert.equal(r.error.kind, "missing-end");
  assert.equal(r.error.offset, 243);
});

Deno.test("RFC 3396: repeated options concatenate in order; 52 is not in the bag", () => {
  const r = decodeOptions(message([12, 2, 65, 66, 53, 1, 1, 12, 0, 12, 1, 67, 255]));
  assert.ok(r.ok);
  assert.equal(new TextDecoder().decode(r.options.get(12)), "ABC");
  assert.deepEqual([...r.options.keys()], [12, 53]);
});

Deno.test("RFC 2132 §9.3 / RFC 3396 §5: overload reads file before sname and concatenates", () => {
  const r = decodeOptions(
    message(
      [52, 1, 3, 15, 1, 97, 255],
      [15, 1, 98, 6, 4, 192, 0, 2, 1, 255],
      [15, 1, 99, 255],
    ),
  );
  assert.ok(r.ok);
  assert.ok(r.fileCarriedOptions && r.snameCarriedOptions);
  assert.equal(new TextDecoder().decode(r.options.get(15)), "abc");
  assert.equal(toHex(r.options.get(6)!), "c0000201");
  assert.equal(r.options.has(52), false);
});

Deno.test("overload 1 uses only file, 2 only sname; a 52 inside them is ignored", () => {
  const file = [12, 1, 70, 52, 1, 2, 255];
  const sname = [12, 1, 83, 255];
  const one = decodeOptions(message([52, 1, 1, 255], file, sname));
  assert.ok(one.ok);
  assert.equal(new TextDecoder().decode(one.options.get(12)), "F");
  assert.ok(one.fileCarriedOptions && !one.snameCarriedOptions);
  const two = decodeOptions(message([52, 1, 2, 255], file, sname));
  assert.ok(two.ok);
  assert.equal(new TextDecoder().decode(two.options.get(12)), "S");
});

Deno.test("overload: bad values, lengths and repeats are bad-overload", () => {
  for (const opts of [[52, 1, 0], [52, 1, 4], [52, 2, 1, 1], [52, 0], [52, 1, 1, 52, 1, 1]]) {
    const r = decodeOptions(message([...opts, 255]));
    assert.ok(!r.ok, JSON.stringify(opts));
    assert.equal(r.error.kind, "bad-overload");
    assert.equal(r.error.offset, opts.length === 6 ? 243 : 240, "offset of the bad 52");
  }
});

Deno.test("overload: a truncated option inside file is an error at its packet offset", () => {
  const r = decodeOptions(message([52, 1, 1, 255], [0, 12, 200, 1]));
  assert.ok(!r.ok);
  assert.equal(r.error.kind, "truncated-option");
  assert.equal(r.error.offset, 109);
});

Deno.test("decoded values are views of the input (no copy per option); split ones are joined", () => {
  const msg = message([12, 1, 65, 255]);
  const r = decodeOptions(msg);
  assert.ok(r.ok);
  assert.equal(r.options.get(12)?.buffer, msg.buffer, "one-piece value: a view");
  const split = message([12, 1, 65, 12, 1, 66, 255]);
  const s = decodeOptions(split);
  assert.ok(s.ok);
  assert.deepStrictEqual([...(s.options.get(12) ?? [])], [65, 66]);
  assert.notEqual(s.options.get(12)?.buffer, split.buffer, "RFC 3396 join: its own buffer");
});

Deno.test("order: 53 first, then the PRL order, then the rest, 82 last", () => {
  const bag = bagOf([
    [82, [1, 0]],
    [1, [255, 255, 255, 0]],
    [51, [0, 0, 14, 16]],
    [3, [1, 2, 3, 4]],
    [53, [2]],
    [54, [1, 2, 3, 4]],
    [6, [8, 8, 8, 8]],
  ]);
  assert.deepEqual(orderOptionCodes(bag, [6, 3, 99, 53, 82, 3]), [53, 6, 3, 1, 51, 54, 82]);
  assert.deepEqual(orderOptionCodes(bag), [53, 1, 51, 3, 54, 6, 82]);
});

Deno.test("encode: values over 255 bytes are split into several instances (RFC 3396)", () => {
  const long = new Uint8Array(600).map((_, i) => i & 255);
  const area = encodeOptionsArea(bagOf([[53, [5]]]).set(119, long), 1000);
  assert.equal(area.bytes.length, 3 + encodedOptionSize(600) + 1);
  assert.equal(encodedOptionSize(600), 606);
  assert.deepEqual([area.bytes[3], area.bytes[4]], [119, 255]);
  assert.deepEqual([area.bytes[3 + 257], area.bytes[3 + 258]], [119, 255]);
  assert.deepEqual([area.bytes[3 + 514], area.bytes[3 + 515]], [119, 90]);
  const back = decodeOptions(message([...area.bytes]));
  assert.ok(back.ok);
  assert.deepEqual(back.options.get(119), long);
});

Deno.test("encode: an empty value is one zero-length instance", () => {
  const area = encodeOptionsArea(bagOf([[80, []]]), 100);
  assert.equal(toHex(area.bytes), "5000ff");
});

Deno.test("encode: options that would overflow are dropped whole, smaller later ones kept", () => {
  const bag = bagOf([[53, [5]], [15, new Array(40).fill(97)], [3, [1, 2, 3, 4]]]);
  const area = encodeOptionsArea(bag, 3 + 6 + 1 + 10); // room for 53, 3 and End, not 15
  assert.deepEqual(area.dropped, [15]);
  assert.equal(toHex(area.bytes), "350105" + "030401020304" + "ff");
  assert.ok(area.bytes.length <= 20);
});

Deno.test("encode: 53, 54, 51 and 82 get room before other options", () => {
  const bag = bagOf([[15, new Array(20).fill(97)], [53, [5]], [54, [1, 1, 1, 1]], [51, [
    0,
    0,
    1,
    0,
  ]], [82, [1, 2, 65, 66]]]);
  const area = encodeOptionsArea(bag, 3 + 6 + 6 + 6 + 1);
  assert.deepEqual(area.dropped, [15]);
  assert.equal(area.bytes[0], 53);
  assert.equal(area.bytes.at(-1), 255);
  assert.equal(area.bytes.at(-7), 82, "82 is still the last option");
});

Deno.test("decodeOptions: the one-pass common case agrees with the general path", async () => {
  const { fuzzDhcpInputs } = await import("../../tests/helpers/packet_fuzzer.ts");
  let compared = 0;
  fuzzDhcpInputs(20_000, 77, (bytes) => {
    if (bytes.length < OPTIONS_OFFSET) return;
    const scan = scanOptionArea(bytes.subarray(OPTIONS_OFFSET), OPTIONS_OFFSET);
    if (!scan.ok || scan.options.some((o) => o.code === 52)) return;
    const r = decodeOptions(bytes);
    if (!r.ok) throw new Error("general path accepted what decodeOptions rejected");
    assert.deepStrictEqual(r.options, concatenate(scan.options));
    compared++;
  });
  if (compared < 1000) throw new Error(`only ${compared} inputs compared`);
});
