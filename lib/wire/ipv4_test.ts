import assert from "node:assert/strict";
import {
  broadcastOf,
  cidrContains,
  formatCidr,
  formatIpv4,
  ipv4,
  ipv4FromBytes,
  ipv4ToBytes,
  maskOf,
  parseCidr,
  parseIpv4,
} from "./ipv4.ts";

Deno.test("parseIpv4 / formatIpv4", () => {
  assert.equal(parseIpv4("192.0.2.1"), 0xc0000201);
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
  for (const bad of ["192.0.2.300", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..2.3", "", "-1.0.0.0"]) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
  assert.equal(formatIpv4(ipv4(0xc0000201)), "192.0.2.1");
  assert.equal(formatIpv4(ipv4(-1)), "255.255.255.255");
});

Deno.test("bytes conversion", () => {
  const a = parseIpv4("10.1.2.3")!;
  assert.deepEqual(ipv4ToBytes(a), new Uint8Array([10, 1, 2, 3]));
  assert.equal(ipv4FromBytes(new Uint8Array([0, 10, 1, 2, 3]), 1), a);
});

Deno.test("CIDR: parse rejects host bits; contains and broadcast", () => {
  const c = parseCidr("10.0.0.0/8")!;
  assert.equal(formatCidr(c), "10.0.0.0/8");
  assert.equal(parseCidr("10.0.0.1/8"), undefined);
  assert.equal(parseCidr("10.0.0.0/33"), undefined);
  assert.equal(parseCidr("0.0.0.0/0")?.prefixLen, 0);
  assert.ok(cidrContains(c, parseIpv4("10.255.0.1")!));
  assert.ok(!cidrContains(c, parseIpv4("11.0.0.0")!));
  assert.equal(formatIpv4(broadcastOf(c)), "10.255.255.255");
  assert.equal(maskOf(0), 0);
  assert.equal(maskOf(32), 0xffffffff);
});
