import assert from "node:assert/strict";
import { parseIpv4 } from "../wire/ipv4.ts";
import {
  isHostname,
  parseAddressOrRange,
  parseHexOctets,
  parseHostPort,
  parseRange,
} from "./value_text.ts";

const ip = (t: string) => parseIpv4(t) ?? assert.fail(t);

Deno.test("parseRange reads first-last, with or without spaces", () => {
  assert.deepEqual(parseRange("192.0.2.10-192.0.2.20"), {
    ok: true,
    value: { start: ip("192.0.2.10"), end: ip("192.0.2.20") },
  });
  assert.equal(parseRange(" 192.0.2.10 - 192.0.2.20 ").ok, true);
  assert.equal(parseRange("192.0.2.20-192.0.2.10").ok, true, "order is checked elsewhere");
  const bad = parseRange("192.0.2.10-192.0.2");
  assert.ok(!bad.ok && bad.problem.includes('"192.0.2"'));
  assert.equal(parseRange("192.0.2.10").ok, false);
});

Deno.test("parseAddressOrRange takes a single address as a one-address range", () => {
  assert.deepEqual(parseAddressOrRange("192.0.2.150"), {
    ok: true,
    value: { start: ip("192.0.2.150"), end: ip("192.0.2.150") },
  });
  assert.equal(parseAddressOrRange("nope").ok, false);
});

Deno.test("parseHexOctets reads colon, dash and bare hex", () => {
  const mac = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
  assert.deepEqual(parseHexOctets("52:54:00:12:34:56"), mac);
  assert.deepEqual(parseHexOctets("52-54-00-12-34-56"), mac);
  assert.deepEqual(parseHexOctets("525400123456"), mac);
  assert.deepEqual(parseHexOctets("1:2"), new Uint8Array([1, 2]));
  assert.equal(parseHexOctets("52:54:0g"), undefined);
  assert.equal(parseHexOctets("123"), undefined);
  assert.equal(parseHexOctets(""), undefined);
});

Deno.test("parseHostPort needs an IPv4 host and a port", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:8067"), {
    ok: true,
    value: { address: "127.0.0.1", port: 8067 },
  });
  assert.equal(parseHostPort("localhost:8067").ok, false);
  assert.equal(parseHostPort("127.0.0.1").ok, false);
  assert.equal(parseHostPort("127.0.0.1:0").ok, false);
  assert.equal(parseHostPort("127.0.0.1:70000").ok, false);
});

Deno.test("isHostname follows RFC 1123 labels", () => {
  assert.ok(isHostname("printer"));
  assert.ok(isHostname("printer-2.example.net"));
  assert.ok(!isHostname("my_printer"));
  assert.ok(!isHostname("-lead"));
  assert.ok(!isHostname(""));
});
