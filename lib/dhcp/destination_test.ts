import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FLAG_BROADCAST } from "../wire/dhcp_message.ts";
import { IPV4_ZERO } from "../wire/ipv4.ts";
import { MSG } from "../wire/option_registry.ts";
import { destinationFor } from "./destination.ts";
import { TestClient, TestServer } from "../../tests/helpers/test_client.ts";
import { hex, ip } from "../../tests/helpers/test_config.ts";

const c = new TestClient(new TestServer(), { mac: "02:00:00:00:00:01" });
const req = c.packet(MSG.REQUEST);
const reply = { ...req, op: 2, yiaddr: ip("10.0.0.100") };

Deno.test("destinationFor: RFC 2131 §4.1 routing", () => {
  const g = ip("10.1.0.1");
  assertEquals(destinationFor({ ...req, giaddr: g }, "ACK", reply), { kind: "relay", ip: g });
  assertEquals(destinationFor({ ...req, giaddr: g }, "NAK", reply), { kind: "relay", ip: g });
  assertEquals(destinationFor({ ...req, ciaddr: ip("10.0.0.9") }, "NAK", reply), {
    kind: "broadcast",
  });
  assertEquals(destinationFor(req, "NAK", reply), { kind: "broadcast" });
  assertEquals(destinationFor({ ...req, ciaddr: ip("10.0.0.9") }, "ACK", reply), {
    kind: "unicast",
    ip: ip("10.0.0.9"),
  });
  assertEquals(destinationFor({ ...req, flags: FLAG_BROADCAST }, "OFFER", reply), {
    kind: "broadcast",
  });
  assertEquals(destinationFor(req, "OFFER", reply), {
    kind: "link-unicast",
    ip: ip("10.0.0.100"),
    chaddr: hex("020000000001"),
  });
  // Nothing to unicast to (an INFORM without ciaddr): broadcast.
  assertEquals(destinationFor(req, "ACK", { ...reply, yiaddr: IPV4_ZERO }), { kind: "broadcast" });
});
