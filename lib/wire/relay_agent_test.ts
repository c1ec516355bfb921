import assert from "node:assert/strict";
import {
  encodeRelayAgentInformation,
  parseRelayAgentInformation,
  relayAgentDisplay,
} from "./relay_agent.ts";
import { formatIpv4 } from "./ipv4.ts";
import { toHex } from "./bytes.ts";

Deno.test("82: circuit-id, remote-id and link-selection (RFC 3046 §2.0, RFC 3527)", () => {
  const r = parseRelayAgentInformation(
    new Uint8Array([2, 3, 0xaa, 0xbb, 0xcc, 1, 2, 0, 7, 5, 4, 10, 1, 2, 0, 9, 0]),
  );
  assert.ok(r.ok);
  assert.equal(toHex(r.info.circuitId!), "0007");
  assert.equal(toHex(r.info.remoteId!), "aabbcc");
  assert.equal(formatIpv4(r.info.linkSelection!), "10.1.2.0");
  assert.deepEqual(r.info.subOptions.map((s) => s.code), [2, 1, 5, 9], "wire order, unknown kept");
  assert.deepEqual(relayAgentDisplay(r.info), {
    "remote-id": "aa:bb:cc",
    "circuit-id": "00:07",
    "link-selection": "10.1.2.0",
    "sub-option-9": "",
  });
});

Deno.test("82: a zero-length sub-option is legal; the first of a repeated one counts", () => {
  const r = parseRelayAgentInformation(new Uint8Array([1, 0, 1, 1, 9]));
  assert.ok(r.ok);
  assert.equal(r.info.circuitId?.length, 0);
  assert.equal(r.info.subOptions.length, 2);
  assert.equal(r.info.remoteId, undefined);
  assert.equal("linkSelection" in r.info, false, "absent fields are absent, not undefined");
});

Deno.test("82: malformed values are typed errors", () => {
  const cases: [number[], string, number][] = [
    [[], "too-short", 0],
    [[1], "too-short", 0],
    [[1, 3, 0, 0], "truncated-sub-option", 0],
    [[1, 1, 0, 2], "truncated-sub-option", 3],
    [[1, 1, 0, 5, 3, 1, 2, 3], "bad-link-selection", 3],
  ];
  for (const [bytes, kind, offset] of cases) {
    const r = parseRelayAgentInformation(new Uint8Array(bytes));
    assert.ok(!r.ok, JSON.stringify(bytes));
    assert.deepEqual([r.error.kind, r.error.offset], [kind, offset], JSON.stringify(bytes));
  }
});

Deno.test("82: encode builds what parse reads", () => {
  const value = encodeRelayAgentInformation([
    { code: 1, data: new TextEncoder().encode("eth0") },
    { code: 5, data: new Uint8Array([192, 0, 2, 0]) },
  ]);
  assert.equal(toHex(value), "010465746830" + "0504c0000200");
  const r = parseRelayAgentInformation(value);
  assert.ok(r.ok);
  assert.equal(formatIpv4(r.info.linkSelection!), "192.0.2.0");
});
