import assert from "node:assert/strict";
import { clientKey, formatMac, hashKey, hwAddrHex } from "./client_key.ts";
import type { DhcpPacket } from "./dhcp_message.ts";
import { IPV4_ZERO } from "./ipv4.ts";
import { toHex } from "./bytes.ts";

function packet(hlen: number, options: [number, number[]][] = [], htype = 1): DhcpPacket {
  return {
    op: 1,
    htype,
    hlen,
    hops: 0,
    xid: 1,
    secs: 0,
    flags: 0,
    ciaddr: IPV4_ZERO,
    yiaddr: IPV4_ZERO,
    siaddr: IPV4_ZERO,
    giaddr: IPV4_ZERO,
    chaddr: new Uint8Array(16).map((_, i) => 0xa0 + i),
    sname: new Uint8Array(64),
    file: new Uint8Array(128),
    options: new Map(options.map(([c, v]) => [c, new Uint8Array(v)])),
  };
}

Deno.test("clientKey: option 61 wins (RFC 2131 §4.2, RFC 4361)", () => {
  const duid = [255, 0, 0, 0, 1, 0, 2, 0, 0, 0, 9, 1, 2, 3];
  assert.equal(clientKey(packet(6, [[61, [1, 2, 3]]])), "id:010203");
  assert.equal(clientKey(packet(6, [[61, duid]])), `id:${toHex(new Uint8Array(duid))}`);
});

Deno.test("clientKey: without 61 (or with an empty one) it is htype + chaddr[0..hlen)", () => {
  assert.equal(clientKey(packet(6)), "hw:01:a0a1a2a3a4a5");
  assert.equal(clientKey(packet(6, [[61, []]])), "hw:01:a0a1a2a3a4a5");
  assert.equal(clientKey(packet(8, [], 6)), "hw:06:a0a1a2a3a4a5a6a7", "IEEE 802 htype 6");
  assert.equal(clientKey(packet(0)), "hw:01:");
});

Deno.test("hlen > 16 is clamped to the 16-byte chaddr field", () => {
  assert.equal(clientKey(packet(255)), `hw:01:${toHex(packet(0).chaddr)}`);
  assert.equal(hashKey(packet(200)).length, 16);
  assert.equal(hwAddrHex(packet(17)).split(":").length, 16);
});

Deno.test("hashKey: RFC 3074 §4 hashes option 61 else chaddr, at most 16 bytes", () => {
  assert.equal(toHex(hashKey(packet(6, [[61, [1, 2, 3]]]))), "010203");
  assert.equal(toHex(hashKey(packet(6))), "a0a1a2a3a4a5");
  const long = new Array(20).fill(7);
  assert.equal(hashKey(packet(6, [[61, long]])).length, 16);
});

Deno.test("hwAddrHex / formatMac", () => {
  assert.equal(hwAddrHex(packet(6)), "a0:a1:a2:a3:a4:a5");
  assert.equal(formatMac(new Uint8Array([2, 0, 0x5e, 0x10, 0, 1])), "02:00:5e:10:00:01");
});
