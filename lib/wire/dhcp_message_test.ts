import assert from "node:assert/strict";
import {
  BOOTREPLY,
  decodeDhcp,
  type DhcpPacket,
  encodeDhcp,
  encodeDhcpDetailed,
  FLAG_BROADCAST,
} from "./dhcp_message.ts";
import { ipv4, parseIpv4 } from "./ipv4.ts";
import { toHex } from "./bytes.ts";

function packet(over: Partial<DhcpPacket> = {}): DhcpPacket {
  const chaddr = new Uint8Array(16);
  chaddr.set([2, 0, 0x5e, 0x10, 0, 1]);
  return {
    op: BOOTREPLY,
    htype: 1,
    hlen: 6,
    hops: 2,
    xid: 0xdeadbeef,
    secs: 65535,
    flags: FLAG_BROADCAST,
    ciaddr: parseIpv4("10.0.0.1")!,
    yiaddr: parseIpv4("10.0.0.2")!,
    siaddr: parseIpv4("10.0.0.3")!,
    giaddr: parseIpv4("255.255.255.254")!,
    chaddr,
    sname: new Uint8Array(64).fill(0x41, 0, 10),
    file: new Uint8Array(128).fill(0x42, 0, 20),
    options: new Map([[53, new Uint8Array([5])], [54, new Uint8Array([10, 0, 0, 254])]]),
    ...over,
  };
}

function decodeOk(b: Uint8Array): DhcpPacket {
  const r = decodeDhcp(b);
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.packet;
}

Deno.test("encode then decode gives back every header field and option", () => {
  const p = packet();
  const bytes = encodeDhcp(p);
  assert.equal(bytes.length, 300, "padded to the BOOTP minimum");
  assert.equal(toHex(bytes.subarray(0, 12)), "020106" + "02" + "deadbeef" + "ffff" + "8000");
  assert.equal(toHex(bytes.subarray(236, 240)), "63825363");
  assert.deepEqual(decodeOk(bytes), p);
});

Deno.test("decode: under 240 bytes is too-short, with the length as offset", () => {
  for (const n of [0, 1, 236, 239]) {
    const r = decodeDhcp(new Uint8Array(n));
    assert.ok(!r.ok);
    assert.deepEqual([r.error.kind, r.error.offset], ["too-short", n]);
  }
});

Deno.test("decode: op other than 1 or 2 is bad-op", () => {
  const b = encodeDhcp(packet());
  b[0] = 3;
  const r = decodeDhcp(b);
  assert.ok(!r.ok);
  assert.equal(r.error.kind, "bad-op");
});

Deno.test("decode: a wrong magic cookie (plain BOOTP or garbage) is bad-magic-cookie", () => {
  const b = encodeDhcp(packet());
  b[239] = 0x64;
  const r = decodeDhcp(b);
  assert.ok(!r.ok);
  assert.deepEqual([r.error.kind, r.error.offset], ["bad-magic-cookie", 236]);
  assert.match(r.error.message, /0x63825364/);
});

Deno.test("decode: exactly 240 bytes (cookie, no options) is an empty bag", () => {
  const p = decodeOk(encodeDhcp(packet({ options: new Map() })).subarray(0, 240));
  assert.equal(p.options.size, 0);
});

Deno.test("decode: hlen > 16 is kept as sent; chaddr stays 16 bytes", () => {
  const b = encodeDhcp(packet({ hlen: 200 }));
  const p = decodeOk(b);
  assert.equal(p.hlen, 200);
  assert.equal(p.chaddr.length, 16);
  assert.deepEqual(decodeOk(encodeDhcp(p)), p);
});

Deno.test("decode: a truncated option is a typed error, never an exception", () => {
  const b = encodeDhcp(packet()).subarray(0, 240 + 3 + 3);
  const r = decodeDhcp(b);
  assert.ok(!r.ok);
  assert.deepEqual([r.error.kind, r.error.offset], ["truncated-option", 243]);
});

Deno.test("decode: overloaded sname/file read as options and handed on as zeros", () => {
  const b = encodeDhcp(packet({ options: new Map([[52, new Uint8Array([3])]]) }));
  assert.equal(b[240], 255, "the encoder never writes a 52 from the bag");
  const raw = new Uint8Array([...b.subarray(0, 240), 52, 1, 3, 255]);
  raw.fill(0, 44, 236);
  raw.set([12, 3, 0x61, 0x62, 0x63, 255], 44); // sname: host-name "abc"
  raw.set([66, 1, 0x74, 255], 108); // file: tftp-server-name "t"
  const p = decodeOk(raw);
  assert.equal(new TextDecoder().decode(p.options.get(12)), "abc");
  assert.equal(new TextDecoder().decode(p.options.get(66)), "t");
  assert.ok(p.sname.every((x) => x === 0) && p.sname.length === 64);
  assert.ok(p.file.every((x) => x === 0) && p.file.length === 128);
  assert.equal(p.options.has(52), false);
});

Deno.test("encode: the default limit is 576 - 28 bytes; options that don't fit are dropped", () => {
  const big = new Map<number, Uint8Array>([[53, new Uint8Array([5])]]);
  for (let code = 100; code < 110; code++) big.set(code, new Uint8Array(100).fill(code));
  const r = encodeDhcpDetailed(packet({ options: big }));
  assert.ok(r.bytes.length <= 548, `${r.bytes.length}`);
  assert.deepEqual(r.dropped, [102, 103, 104, 105, 106, 107, 108, 109]); // 308 bytes of room
  const p = decodeOk(r.bytes);
  assert.deepEqual([...p.options.keys()], [53, 100, 101]);
});

Deno.test("encode: option 57 raises the limit; below 576 is treated as 576", () => {
  const big = new Map<number, Uint8Array>();
  for (let code = 100; code < 110; code++) big.set(code, new Uint8Array(100));
  const large = encodeDhcpDetailed(packet({ options: big }), { maxMessageSize: 1500 });
  assert.equal(large.dropped.length, 0);
  assert.ok(large.bytes.length <= 1500 - 28);
  const tiny = encodeDhcpDetailed(packet({ options: big }), { maxMessageSize: 100 });
  assert.ok(tiny.bytes.length <= 548 && tiny.bytes.length > 500);
});

Deno.test("encode: parameterOrder puts requested options first, 82 last", () => {
  const options = new Map<number, Uint8Array>([
    [82, new Uint8Array([1, 1, 7])],
    [3, new Uint8Array([10, 0, 0, 1])],
    [1, new Uint8Array([255, 255, 255, 0])],
    [53, new Uint8Array([2])],
  ]);
  const bytes = encodeDhcp(packet({ options }), { parameterOrder: [1, 3] });
  assert.equal(
    toHex(bytes.subarray(240, 240 + 3 + 6 + 6 + 5 + 1)),
    "350102" + "0104ffffff00" + "03040a000001" + "5203010107" + "ff",
  );
});

Deno.test("encode: short sname/file/chaddr are zero-filled, long ones cut", () => {
  const p = packet({
    chaddr: new Uint8Array([1, 2]),
    sname: new Uint8Array(100).fill(7),
    file: new Uint8Array(),
  });
  const q = decodeOk(encodeDhcp(p));
  assert.equal(toHex(q.chaddr), "0102" + "00".repeat(14));
  assert.ok(q.sname.every((x) => x === 7) && q.sname.length === 64);
  assert.ok(q.file.every((x) => x === 0));
  assert.equal(q.giaddr, ipv4(0xfffffffe));
});
