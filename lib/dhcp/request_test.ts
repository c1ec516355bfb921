import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { MSG, OPT } from "../wire/option_registry.ts";
import { IPV4_ZERO } from "../wire/ipv4.ts";
import { classify, messageTypeOf, requestStateOf } from "./request.ts";
import { relayAgentInfo, TestClient, TestServer } from "../../tests/helpers/test_client.ts";
import { hex, ip } from "../../tests/helpers/test_config.ts";

const client = new TestClient(new TestServer(), { mac: "02:00:00:00:00:07" });

function request(options: Record<number, Uint8Array>, ciaddr = IPV4_ZERO) {
  const r = classify(client.packet(MSG.REQUEST, { ciaddr, options }));
  if (!r.ok) throw new Error(r.reason);
  return r.request;
}

Deno.test("requestStateOf: RFC 2131 §4.3.2 table of server id / requested IP / ciaddr", () => {
  const a = ip("10.0.0.5");
  const s = ip("10.0.0.1");
  assertEquals(requestStateOf(s, a, IPV4_ZERO), "SELECTING");
  assertEquals(requestStateOf(undefined, a, IPV4_ZERO), "INIT-REBOOT");
  assertEquals(requestStateOf(undefined, undefined, a), "RENEWING-OR-REBINDING");
  // Lenient: option 50 in a renewal, or a server id in a renewal, is still a renewal.
  assertEquals(requestStateOf(undefined, a, a), "RENEWING-OR-REBINDING");
  assertEquals(requestStateOf(s, undefined, a), "RENEWING-OR-REBINDING");
  assertEquals(requestStateOf(s, undefined, IPV4_ZERO), undefined);
  assertEquals(requestStateOf(undefined, undefined, IPV4_ZERO), undefined);
});

Deno.test("classify: REQUEST naming no address is a bad request", () => {
  assertEquals(classify(client.packet(MSG.REQUEST)), { ok: false, reason: "bad-request" });
});

Deno.test("classify: message type names, unknown and missing option 53", () => {
  assertEquals(messageTypeOf(client.packet(MSG.INFORM)), "INFORM");
  assertEquals(messageTypeOf(client.packet(42)), "unknown");
  const p = client.packet(MSG.DISCOVER);
  assertEquals(messageTypeOf({ ...p, options: new Map() }), undefined);
  assertEquals(
    messageTypeOf({ ...p, options: new Map([[53, new Uint8Array([1, 1])]]) }),
    undefined,
  );
});

Deno.test("classify: reads options, client identity and hash key", () => {
  const r = request({
    [OPT.serverIdentifier]: hex("0a000001"),
    [OPT.requestedIpAddress]: hex("0a000063"),
    [OPT.ipAddressLeaseTime]: hex("00000e10"),
    [OPT.parameterRequestList]: new Uint8Array([1, 3, 0, 3, 255, 6]),
    [OPT.maxMessageSize]: hex("0100"),
  });
  assertEquals(r.state, "SELECTING");
  assertEquals(r.serverId, ip("10.0.0.1"));
  assertEquals(r.requestedIp, ip("10.0.0.99"));
  assertEquals(r.requestedLeaseSec, 3600);
  assertEquals(r.parameterRequestList, [1, 3, 6], "deduplicated, pad/end removed");
  assertEquals(r.maxMessageSize, 576, "RFC 2132 §9.10: at least 576");
  assertEquals(r.clientKey, "hw:01:020000000007");
  assertEquals(r.hwAddr, hex("020000000007"));
  assertEquals(r.hashKey, hex("020000000007"));
  assertEquals(r.clientId, undefined);
  assertEquals(r.relay, undefined);
});

Deno.test("classify: option 61 keys the client; malformed addresses are ignored", () => {
  const r = request({
    [OPT.clientIdentifier]: hex("ff0102"),
    [OPT.requestedIpAddress]: hex("0a00"),
    [OPT.maxMessageSize]: hex("05dc"),
  }, ip("10.0.0.9"));
  assertEquals(r.clientKey, "id:ff0102");
  assertEquals(r.requestedIp, undefined);
  assertEquals(r.maxMessageSize, 1500);
  assertEquals(r.state, "RENEWING-OR-REBINDING");
});

Deno.test("classify: option 82 sub-options and RFC 3527 link selection; 118", () => {
  const raw = relayAgentInfo({ 1: hex("0102"), 2: hex("aa"), 5: hex("0a010000") });
  const r = request(
    { [OPT.relayAgentInformation]: raw, [OPT.subnetSelection]: hex("0a020000") },
    ip("10.0.0.9"),
  );
  assertEquals(r.relay?.raw, raw);
  assertEquals(r.relay?.circuitId, hex("0102"));
  assertEquals(r.relay?.remoteId, hex("aa"));
  assertEquals(r.relay?.linkSelection, ip("10.1.0.0"));
  assertEquals(r.subnetSelection, ip("10.2.0.0"));
  // A malformed option 82 is kept for the echo but selects nothing.
  const bad = request({ [OPT.relayAgentInformation]: hex("0509") }, ip("10.0.0.9"));
  assert(bad.relay !== undefined);
  assertEquals(bad.relay.linkSelection, undefined);
  assertEquals(bad.relay.raw, hex("0509"));
});
