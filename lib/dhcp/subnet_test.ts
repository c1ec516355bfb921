import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MSG, OPT } from "../wire/option_registry.ts";
import { ipv4ToBytes } from "../wire/ipv4.ts";
import { classify } from "./request.ts";
import { selectSubnet } from "./subnet.ts";
import { relayAgentInfo, TestClient, TestServer } from "../../tests/helpers/test_client.ts";
import { hex, ip, makeConfig, subnet } from "../../tests/helpers/test_config.ts";
import type { ClientSetup } from "../../tests/helpers/test_client.ts";

const config = makeConfig();

function choose(
  setup: ClientSetup,
  type: number,
  opts: { ciaddr?: string; options?: Record<number, Uint8Array> } = {},
) {
  const c = new TestClient(new TestServer(), setup);
  const r = classify(c.packet(type, {
    ciaddr: ip(opts.ciaddr ?? "0.0.0.0"),
    options: opts.options ?? {},
  }));
  if (!r.ok) throw new Error(r.reason);
  const s = selectSubnet(r.request, config);
  return s === undefined ? undefined : [s.subnet.id, s.source];
}

Deno.test("selectSubnet: link-selection > option 118 > giaddr > ciaddr > direct", () => {
  const link = relayAgentInfo({ 5: hex("0a000000") });
  assertEquals(
    choose({ giaddr: "10.1.0.1", relayInfo: link, subnetSelection: "10.1.0.0" }, MSG.DISCOVER),
    [1, "link-selection"],
  );
  assertEquals(choose({ giaddr: "10.0.0.2", subnetSelection: "10.1.0.3" }, MSG.DISCOVER), [
    2,
    "subnet-selection",
  ]);
  assertEquals(choose({ giaddr: "10.1.0.1" }, MSG.DISCOVER), [2, "giaddr"]);
  assertEquals(choose({}, MSG.INFORM, { ciaddr: "10.1.0.50" }), [2, "ciaddr"]);
  assertEquals(choose({}, MSG.DISCOVER), [1, "direct"]);
});

Deno.test("selectSubnet: ciaddr selects only for renewals, INFORM and RELEASE", () => {
  assertEquals(choose({}, MSG.REQUEST, { ciaddr: "10.1.0.50" }), [2, "ciaddr"]);
  assertEquals(choose({}, MSG.RELEASE, { ciaddr: "10.1.0.50" }), [2, "ciaddr"]);
  // A DISCOVER's ciaddr means nothing (RFC 2131 table 5: 0).
  assertEquals(choose({}, MSG.DISCOVER, { ciaddr: "10.1.0.50" }), [1, "direct"]);
  // A ciaddr on no configured subnet falls back to the direct segment (which will NAK it).
  assertEquals(choose({}, MSG.REQUEST, { ciaddr: "192.168.1.5" }), [1, "direct"]);
  // INIT-REBOOT: option 50 does not select; the link does.
  assertEquals(
    choose({}, MSG.REQUEST, { options: { [OPT.requestedIpAddress]: ipv4ToBytes(ip("10.1.0.5")) } }),
    [1, "direct"],
  );
});

Deno.test("selectSubnet: a source naming no subnet does not fall back (RFC 3527 §3, RFC 3011 §3)", () => {
  assertEquals(
    choose({ giaddr: "10.1.0.1", relayInfo: relayAgentInfo({ 5: hex("c0a80100") }) }, MSG.DISCOVER),
    undefined,
  );
  assertEquals(choose({ subnetSelection: "192.168.1.0" }, MSG.DISCOVER), undefined);
  assertEquals(choose({ giaddr: "192.168.1.1" }, MSG.DISCOVER), undefined);
});

Deno.test("selectSubnet: no direct segment configured -> undefined for local clients", () => {
  const relayedOnly = makeConfig({ subnets: [subnet(5, "10.9.0.0/24")] });
  const c = new TestClient(new TestServer(relayedOnly));
  const r = classify(c.packet(MSG.DISCOVER));
  if (!r.ok) throw new Error(r.reason);
  assertEquals(selectSubnet(r.request, relayedOnly), undefined);
});
