import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { FLAG_BROADCAST } from "../wire/dhcp_message.ts";
import { ipv4, ipv4FromBytes, ipv4ToBytes } from "../wire/ipv4.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import { buildNak, buildOfferOrAck, leaseGrant } from "./reply.ts";
import { classify, type DhcpRequest } from "./request.ts";
import { STANDALONE_SCOPE } from "./scope.ts";
import {
  relayAgentInfo,
  TestClient,
  testContext,
  TestServer,
} from "../../tests/helpers/test_client.ts";
import type { ClientSetup } from "../../tests/helpers/test_client.ts";
import {
  hex,
  ip,
  leaseTimes,
  makeConfig,
  options,
  pool,
  reservation,
  subnet,
} from "../../tests/helpers/test_config.ts";

const NOW = 1_700_000_000;

function req(
  setup: ClientSetup = {},
  type: number = MSG.DISCOVER,
  opts: Record<number, Uint8Array> = {},
): DhcpRequest {
  const r = classify(new TestClient(new TestServer(), setup).packet(type, { options: opts }));
  if (!r.ok) throw new Error(r.reason);
  return r.request;
}

const NET = subnet(1, "10.0.0.0/24", {
  leaseTimes: leaseTimes({
    defaultSec: 1000,
    minSec: 100,
    maxSec: 5000,
    t1Ratio: 0.25,
    t2Ratio: 0.75,
  }),
  options: options({ 3: ["10.0.0.1"], 42: ["10.0.0.2"], 44: ["10.0.0.3"], 54: ["9.9.9.9"] }),
  pools: [pool("10.0.0.100", "10.0.0.199", { options: options({ 42: ["10.0.0.20"] }) })],
});

Deno.test("leaseGrant: clamped request, default, and the scope's cap", () => {
  const c = testContext({ nowSec: NOW });
  const asked = (sec: number) => req({}, MSG.DISCOVER, { 51: ipv4ToBytes(ipv4(sec)) });
  assertEquals(leaseGrant(req(), NET, undefined, c), { leaseSec: 1000, endSec: NOW + 1000 });
  assertEquals(leaseGrant(asked(1), NET, undefined, c).leaseSec, 100);
  assertEquals(leaseGrant(asked(99999), NET, undefined, c).leaseSec, 5000);
  assertEquals(leaseGrant(asked(2000), NET, undefined, c).leaseSec, 2000);
  const mclt = {
    ...STANDALONE_SCOPE,
    capLeaseEnd: (_l: unknown, end: number, now: number) => Math.min(end, now + 300),
  };
  assertEquals(leaseGrant(asked(2000), NET, undefined, { ...c, scope: mclt }), {
    leaseSec: 300,
    endSec: NOW + 300,
  });
});

Deno.test("OFFER: header fields, lease options, T1/T2 ratios, mask from the prefix", () => {
  const c = testContext({ nowSec: NOW });
  const r = req({ giaddr: "10.0.0.2", broadcast: true });
  const built = buildOfferOrAck(r, c, {
    type: "OFFER",
    subnet: NET,
    ip: ip("10.0.0.150"),
    grant: { leaseSec: 1000, endSec: NOW + 1000 },
    pool: NET.pools[0],
    reservation: undefined,
  });
  const p = built.packet;
  assertEquals([p.op, p.xid, p.yiaddr, p.siaddr, p.ciaddr, p.giaddr, p.flags], [
    2,
    r.packet.xid,
    ip("10.0.0.150"),
    0,
    0,
    ip("10.0.0.2"),
    FLAG_BROADCAST,
  ]);
  assertEquals(p.chaddr, r.packet.chaddr);
  const u32 = (code: number) => ipv4FromBytes(p.options.get(code)!) as number;
  assertEquals([u32(51), u32(58), u32(59)], [1000, 250, 750]);
  assertEquals(p.options.get(OPT.dhcpMessageType), new Uint8Array([MSG.OFFER]));
  assertEquals(u32(OPT.serverIdentifier), ip("10.0.0.1"), "configured 54 is ignored");
  assertEquals(u32(OPT.subnetMask), ip("255.255.255.0"));
  assertEquals(u32(OPT.routers), ip("10.0.0.1"));
  assert(!p.options.has(42) && !p.options.has(44), "not requested");
});

Deno.test("options merge global < subnet < pool < reservation, filtered by PRL", () => {
  const config = makeConfig({
    options: options({ 42: ["1.1.1.1"], 69: ["2.2.2.2"], 1: ["255.255.0.0"] }),
  });
  const c = testContext({ config, nowSec: NOW });
  const r = req({ prl: [69, 42, 44] });
  const res = reservation("10.0.0.7", {
    mac: "02:00:00:00:00:01",
    hostname: "pc",
    options: options({ 44: ["10.0.0.77"] }),
  });
  const at = (
    code: number,
    p = buildOfferOrAck(r, c, {
      type: "ACK",
      subnet: NET,
      ip: ip("10.0.0.7"),
      grant: undefined,
      pool: NET.pools[0],
      reservation: res,
    }).packet,
  ) => p.options.has(code) ? ipv4FromBytes(p.options.get(code)!) : undefined;
  assertEquals(at(69), ip("2.2.2.2"), "global");
  assertEquals(at(42), ip("10.0.0.20"), "pool over subnet over global");
  assertEquals(at(44), ip("10.0.0.77"), "reservation over subnet");
  assertEquals(at(1), ip("255.255.0.0"), "a configured mask wins over the prefix");
  assertEquals(at(51), undefined, "no grant (INFORM): no lease time");
  const withHost = buildOfferOrAck(req({ prl: [12] }), c, {
    type: "ACK",
    subnet: NET,
    ip: ip("10.0.0.7"),
    grant: undefined,
    pool: undefined,
    reservation: res,
  });
  assertEquals(new TextDecoder().decode(withHost.packet.options.get(12)), "pc");
});

Deno.test("echoes: 61 (RFC 6842), 82 unchanged (RFC 3046), 118 (RFC 3011)", () => {
  const c = testContext({ nowSec: NOW });
  const info = relayAgentInfo({ 1: hex("0102"), 9: hex("ff") });
  const r = req({
    clientId: "ff0a",
    giaddr: "10.0.0.2",
    relayInfo: info,
    subnetSelection: "10.0.0.0",
  });
  const p = buildOfferOrAck(r, c, {
    type: "OFFER",
    subnet: NET,
    ip: ip("10.0.0.150"),
    grant: { leaseSec: 10, endSec: NOW + 10 },
    pool: undefined,
    reservation: undefined,
  }).packet;
  assertEquals(p.options.get(61), hex("ff0a"));
  assertEquals(p.options.get(82), info);
  assertEquals(p.options.get(118), hex("0a000000"));
});

Deno.test("NAK: only 53, 54, 56, 61, 82; zero yiaddr/ciaddr; broadcast bit through a relay", () => {
  const c = testContext({ nowSec: NOW });
  const relayed = req(
    {
      clientId: "ff0a",
      giaddr: "10.0.0.2",
      relayInfo: relayAgentInfo({ 1: hex("01") }),
      subnetSelection: "10.0.0.0",
      prl: [3],
    },
    MSG.REQUEST,
    { 50: hex("0a000009") },
  );
  const nak = buildNak(relayed, c, "nope");
  assertEquals(nak.replyType, "NAK");
  assertEquals([...nak.packet.options.keys()].sort((a, b) => a - b), [53, 54, 56, 61, 82]);
  assertEquals(new TextDecoder().decode(nak.packet.options.get(56)), "nope");
  assertEquals([nak.packet.yiaddr, nak.packet.ciaddr, nak.packet.flags], [0, 0, FLAG_BROADCAST]);
  const local = buildNak(req({}, MSG.REQUEST, { 50: hex("0a000009") }), c, "x");
  assertEquals(local.packet.flags, 0);
  assertEquals([...local.packet.options.keys()].sort((a, b) => a - b), [53, 54, 56]);
});
