/**
 * In-process client tests: scripted clients (tests/helpers/test_client.ts) walk every message
 * type and client state of RFC 2131 against handle() and a MemoryLeaseStore.
 */
import {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotEquals,
  ok as assert,
} from "node:assert/strict";
import { reclaimExpired } from "../lib/dhcp/reclaim.ts";
import { FLAG_BROADCAST } from "../lib/wire/dhcp_message.ts";
import { cidrContains, IPV4_ZERO, parseCidr } from "../lib/wire/ipv4.ts";
import { MSG, OPT } from "../lib/wire/option_registry.ts";
import {
  optionIp,
  optionU32,
  relayAgentInfo,
  replyOf,
  TestClient,
  TestServer,
} from "./helpers/test_client.ts";
import {
  defaultSubnets,
  hex,
  ip,
  makeConfig,
  options,
  pool,
  reservation,
  SERVER_ID,
  subnet,
} from "./helpers/test_config.ts";

const NET0 = parseCidr("10.0.0.0/24")!;
const NET1 = parseCidr("10.1.0.0/24")!;

function mac(n: number): string {
  return `02:00:00:00:${(n >> 8).toString(16).padStart(2, "0")}:${
    (n & 255).toString(16).padStart(2, "0")
  }`;
}

function smallPool(start: string, end: string) {
  return makeConfig({
    subnets: [subnet(1, "10.0.0.0/24", { direct: true, pools: [pool(start, end)] })],
  });
}

Deno.test("DORA on the direct segment: OFFER holds, ACK binds and records the client", () => {
  const server = new TestServer();
  const c = new TestClient(server, { hostname: "laptop", mac: "02:aa:bb:cc:dd:01" });
  const { offer, ack } = c.doDora();
  const o = replyOf(offer);
  assertEquals(o.replyType, "OFFER");
  assert(cidrContains(NET0, o.reply.yiaddr));
  assertEquals(o.ops, [{
    kind: "hold",
    ip: o.reply.yiaddr,
    clientKey: "hw:01:02aabbccdd01",
    untilSec: server.nowSec + 30,
  }]);
  assertEquals(o.to, { kind: "link-unicast", ip: o.reply.yiaddr, chaddr: hex("02aabbccdd01") });
  const a = replyOf(ack);
  assertEquals(a.replyType, "ACK");
  assertEquals(a.reply.yiaddr, o.reply.yiaddr);
  const lease = server.store.get(c.address)!;
  assertEquals(lease.state, "active");
  assertEquals(lease.hostname, "laptop");
  assertEquals(lease.hwAddr, "02aabbccdd01");
  assertEquals(lease.endSec, server.nowSec + 3600);
  assertEquals(lease.clttSec, server.nowSec);
  assertEquals(server.store.hold(c.address), undefined, "the ACK drops the offer hold");
});

Deno.test("broadcast bit: replies are broadcast (RFC 2131 §4.1)", () => {
  const c = new TestClient(new TestServer(), { broadcast: true });
  const { offer, ack } = c.doDora();
  assertEquals(replyOf(offer).to, { kind: "broadcast" });
  assertEquals(replyOf(ack).to, { kind: "broadcast" });
  assertEquals(replyOf(ack).reply.flags, FLAG_BROADCAST);
});

Deno.test("relayed DORA: giaddr picks the subnet, replies go to the relay, option 82 echoed", () => {
  const server = new TestServer();
  const info = relayAgentInfo({ 1: hex("0001"), 2: hex("aabb") });
  const c = new TestClient(server, { giaddr: "10.1.0.1", relayInfo: info });
  const { offer, ack } = c.doDora();
  assert(cidrContains(NET1, c.address));
  assertEquals(replyOf(offer).to, { kind: "relay", ip: ip("10.1.0.1") });
  assertEquals(replyOf(ack).reply.giaddr, ip("10.1.0.1"));
  assertEquals(replyOf(ack).reply.options.get(OPT.relayAgentInformation), info);
  assertEquals(server.store.get(c.address)?.relayInfo, "01020001" + "0202aabb");
  assertEquals(optionIp(replyOf(ack).reply, OPT.routers), ip("10.1.0.1"));
});

Deno.test("option 82 link-selection (RFC 3527) overrides giaddr", () => {
  const server = new TestServer();
  const info = relayAgentInfo({ 5: hex("0a010000") });
  const c = new TestClient(server, { giaddr: "192.168.77.1", relayInfo: info });
  c.doDora();
  assert(cidrContains(NET1, c.address));
  assertEquals(replyOf(c.renew()).replyType, "ACK");
  // A link-selection naming no configured subnet is not overridden by a good giaddr.
  const lost = new TestClient(server, {
    mac: mac(9),
    giaddr: "10.1.0.1",
    relayInfo: relayAgentInfo({ 5: hex("c0a80000") }),
  });
  assertEquals(lost.discover(), { kind: "drop", reason: "no-subnet" });
});

Deno.test("option 118 subnet selection (RFC 3011) picks the subnet and is echoed", () => {
  const server = new TestServer();
  const c = new TestClient(server, { subnetSelection: "10.1.0.0" });
  const { offer, ack } = c.doDora();
  assert(cidrContains(NET1, c.address));
  assertEquals(optionIp(replyOf(offer).reply, OPT.subnetSelection), ip("10.1.0.0"));
  assertEquals(optionIp(replyOf(ack).reply, OPT.subnetSelection), ip("10.1.0.0"));
});

Deno.test("a relay on an unknown link: drop no-subnet", () => {
  const c = new TestClient(new TestServer(), { giaddr: "192.168.5.1" });
  assertEquals(c.discover(), { kind: "drop", reason: "no-subnet" });
});

Deno.test("reservations by MAC and by client id, with hostname and options", () => {
  const subnets = defaultSubnets();
  const s1 = subnets[0]!;
  const config = makeConfig({
    subnets: [{
      ...s1,
      reservations: [
        reservation("10.0.0.10", {
          mac: "02:00:00:00:00:aa",
          hostname: "printer",
          options: options({ 42: ["10.0.0.123"] }),
        }),
        reservation("10.0.0.150", { clientId: "ff00000001" }),
      ],
    }, subnets[1]!],
  });
  const server = new TestServer(config);
  const byMac = new TestClient(server, { mac: "02:00:00:00:00:aa", prl: [1, 3, 42] });
  const { ack } = byMac.doDora();
  assertEquals(byMac.address, ip("10.0.0.10"), "reserved address even outside the pool");
  assertEquals(server.store.get(byMac.address)?.hostname, "printer");
  assertEquals(optionIp(replyOf(ack).reply, 42), ip("10.0.0.123"));
  const byId = new TestClient(server, { mac: "02:00:00:00:00:bb", clientId: "ff00000001" });
  byId.doDora();
  assertEquals(byId.address, ip("10.0.0.150"));
  assertEquals(server.store.get(byId.address)?.clientId, "ff00000001");
  // Another client asking for a reserved address does not get it.
  const other = new TestClient(server, { mac: mac(3) });
  other.doDora("10.0.0.150");
  assertNotEquals(other.address, ip("10.0.0.150"));
});

Deno.test("pool exhaustion: no OFFER, drop no-free-address", () => {
  const server = new TestServer(smallPool("10.0.0.100", "10.0.0.101"));
  const a = new TestClient(server, { mac: mac(1) });
  const b = new TestClient(server, { mac: mac(2) });
  a.doDora();
  b.doDora();
  assertNotEquals(a.address, b.address);
  const c = new TestClient(server, { mac: mac(3) });
  assertEquals(c.discover(), { kind: "drop", reason: "no-free-address", poolFull: 1 });
});

Deno.test("several clients get distinct addresses; the rest find the pool full", () => {
  const server = new TestServer();
  const got = new Set<number>();
  for (let i = 0; i < 11; i++) {
    const c = new TestClient(server, { mac: mac(100 + i), giaddr: "10.1.0.1" });
    c.doDora();
    got.add(c.address);
  }
  assertEquals(got.size, 11);
  const late = new TestClient(server, { mac: mac(200), giaddr: "10.1.0.1" });
  assertEquals(late.discover(), { kind: "drop", reason: "no-free-address", poolFull: 2 });
});

Deno.test("two concurrent DISCOVERs never get the same address", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  const b = new TestClient(server, { mac: mac(2) });
  const oa = replyOf(a.discover("10.0.0.120"));
  const ob = replyOf(b.discover("10.0.0.120"));
  assertEquals(oa.reply.yiaddr, ip("10.0.0.120"));
  assertNotEquals(ob.reply.yiaddr, oa.reply.yiaddr);
  // Same with no requested address, on a pool of two.
  const s2 = new TestServer(smallPool("10.0.0.100", "10.0.0.101"));
  const x = replyOf(new TestClient(s2, { mac: mac(1) }).discover());
  const y = replyOf(new TestClient(s2, { mac: mac(2) }).discover());
  assertNotEquals(x.reply.yiaddr, y.reply.yiaddr);
});

Deno.test("the same client gets the same address back after RELEASE", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const first = a.address;
  assertEquals(a.release().kind, "no-reply");
  assertEquals(server.store.get(first)?.state, "released");
  assertEquals(server.store.get(first)?.clientKey, "hw:01:020000000001");
  const b = new TestClient(server, { mac: mac(2) });
  b.doDora(`10.0.0.${first & 255}`); // asks for it, but another client's history keeps it
  assertNotEquals(b.address, first);
  server.advance(100);
  a.doDora();
  assertEquals(a.address, first);
});

Deno.test("the same client gets the same address back after expiry (before and after sweep)", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const first = a.address;
  server.advance(3601);
  a.doDora();
  assertEquals(a.address, first);
  server.advance(3601);
  server.store.apply(reclaimExpired(server.store, server.nowSec, 100));
  assertEquals(server.store.get(first)?.state, "expired");
  a.doDora();
  assertEquals(a.address, first);
});

Deno.test("a full pool reclaims another client's expired address, the oldest first", () => {
  const server = new TestServer(smallPool("10.0.0.100", "10.0.0.102"));
  const [a, b, c] = [1, 2, 3].map((n) => new TestClient(server, { mac: mac(n) }));
  a!.doDora();
  server.advance(100);
  b!.doDora();
  c!.doDora();
  const d = new TestClient(server, { mac: mac(4) });
  assertEquals(d.discover(), { kind: "drop", reason: "no-free-address", poolFull: 1 });
  server.advance(3650); // a and b expired (a first); c renews and stays
  assertEquals(replyOf(c!.renew()).replyType, "ACK");
  d.doDora();
  assertEquals(d.address, a!.address);
});

Deno.test("DECLINE: the address is abandoned for the probation period, then reusable after the sweep", () => {
  const server = new TestServer(smallPool("10.0.0.100", "10.0.0.100"));
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const bad = a.address;
  const d = a.decline();
  assertEquals(d.kind, "no-reply");
  const rec = server.store.get(bad)!;
  assertEquals([rec.state, rec.endSec, rec.clientKey], ["abandoned", server.nowSec + 3600, ""]);
  assertEquals(a.discover(), { kind: "drop", reason: "no-free-address", poolFull: 1 });
  server.advance(3600);
  // Probation over, but the address returns to the pool through the sweep only.
  assertEquals(a.discover(), { kind: "drop", reason: "no-free-address", poolFull: 1 });
  server.sweep();
  assertEquals(replyOf(a.discover()).reply.yiaddr, bad);
  // A DECLINE for an address that is not the sender's is ignored.
  a.doDora();
  const stranger = new TestClient(server, { mac: mac(2) });
  stranger.serverId = ip(SERVER_ID);
  assertEquals(stranger.decline(bad), { kind: "drop", reason: "no-binding" });
});

Deno.test("lease time: requested time clamped to [min, max], default otherwise; T1/T2", () => {
  const server = new TestServer();
  const cases: [number | undefined, number][] = [[undefined, 3600], [10, 600], [1e6, 86400], [
    7200,
    7200,
  ]];
  cases.forEach(([asked, granted], i) => {
    const c = new TestClient(
      server,
      asked === undefined ? { mac: mac(i) } : { mac: mac(i), leaseTimeSec: asked },
    );
    const r = replyOf(c.doDora().ack).reply;
    assertEquals(optionU32(r, OPT.ipAddressLeaseTime), granted);
    assertEquals(optionU32(r, OPT.renewalTime), Math.floor(granted * 0.5));
    assertEquals(optionU32(r, OPT.rebindingTime), Math.floor(granted * 0.875));
  });
});

Deno.test("PRL: order hint is the client's, unrequested options only from the basic set", () => {
  const s = defaultSubnets();
  const config = makeConfig({
    subnets: [{
      ...s[0]!,
      options: options({ 3: ["10.0.0.1"], 6: ["10.0.0.53"], 42: ["10.0.0.5"], 44: ["10.0.0.6"] }),
    }],
  });
  const c = new TestClient(new TestServer(config), { prl: [6, 42, 3, 1, 6, 119] });
  const r = replyOf(c.doDora().ack);
  assertEquals(r.parameterOrder, [6, 42, 3, 1, 119]);
  assert(r.reply.options.has(42));
  assert(!r.reply.options.has(44), "configured but not requested");
  assert(r.reply.options.has(15), "domain name is always sent when configured");
  assertEquals(optionIp(r.reply, OPT.subnetMask), ip("255.255.255.0"));
  assertEquals(optionIp(r.reply, OPT.serverIdentifier), ip(SERVER_ID));
});

Deno.test("client id is echoed (RFC 6842) and keys the binding", () => {
  const server = new TestServer();
  const c = new TestClient(server, { clientId: "01020000000001" });
  const { offer, ack } = c.doDora();
  assertEquals(replyOf(offer).reply.options.get(OPT.clientIdentifier), hex("01020000000001"));
  assertEquals(replyOf(ack).reply.options.get(OPT.clientIdentifier), hex("01020000000001"));
  assertEquals(server.store.get(c.address)?.clientKey, "id:01020000000001");
});

Deno.test("SELECTING another server: no reply, our offer hold is dropped", () => {
  const server = new TestServer(smallPool("10.0.0.100", "10.0.0.100"));
  const a = new TestClient(server, { mac: mac(1) });
  const offered = replyOf(a.discover()).reply.yiaddr;
  const d = a.doRequest("SELECTING", ip("192.168.0.50"), ip("192.168.0.1"));
  assertEquals(d, {
    kind: "no-reply",
    ops: [{ kind: "unhold", ip: offered }],
    reason: "not-for-us",
  });
  assertEquals(server.store.hold(offered), undefined);
  assertEquals(replyOf(new TestClient(server, { mac: mac(2) }).discover()).reply.yiaddr, offered);
});

Deno.test("SELECTING our id for an address taken meanwhile: NAK with only 53, 54, 56, 61, 82", () => {
  const server = new TestServer(smallPool("10.0.0.100", "10.0.0.100"));
  const info = relayAgentInfo({ 1: hex("01") });
  const a = new TestClient(server, {
    mac: mac(1),
    clientId: "ff01",
    giaddr: "10.0.0.2",
    relayInfo: info,
  });
  a.discover();
  server.advance(31); // the hold lapses
  new TestClient(server, { mac: mac(2) }).doDora();
  const nak = replyOf(a.doRequest("SELECTING"));
  assertEquals(nak.replyType, "NAK");
  assertEquals([...nak.reply.options.keys()].sort((x, y) => x - y), [53, 54, 56, 61, 82]);
  assertEquals(nak.reply.yiaddr, IPV4_ZERO);
  assertEquals(nak.to, { kind: "relay", ip: ip("10.0.0.2") });
  assertEquals(nak.reply.flags & FLAG_BROADCAST, FLAG_BROADCAST, "RFC 2131 §4.3.2 broadcast bit");
});

Deno.test("INIT-REBOOT: ACK own address, NAK wrong subnet and another's address", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const mine = a.address;
  const ack = replyOf(a.doRequest("INIT-REBOOT", mine));
  assertEquals([ack.replyType, ack.reply.yiaddr], ["ACK", mine]);
  assertEquals(replyOf(a.doRequest("INIT-REBOOT", ip("10.1.0.12"))).replyType, "NAK");
  assertEquals(replyOf(a.doRequest("INIT-REBOOT", ip("10.1.0.12"))).to, { kind: "broadcast" });
  const b = new TestClient(server, { mac: mac(2) });
  assertEquals(replyOf(b.doRequest("INIT-REBOOT", mine)).replyType, "NAK");
  // Authoritative: a client we have no record of is NAKed (it falls back to DISCOVER).
  assertEquals(replyOf(b.doRequest("INIT-REBOOT", ip("10.0.0.180"))).replyType, "NAK");
});

Deno.test("INIT-REBOOT, not authoritative: silence for unknown clients, NAK for known ones", () => {
  const server = new TestServer(makeConfig({ authoritative: false }));
  const stranger = new TestClient(server, { mac: mac(7) });
  assertEquals(stranger.doRequest("INIT-REBOOT", ip("10.0.0.150")), {
    kind: "drop",
    reason: "no-binding",
  });
  assertEquals(stranger.doRequest("INIT-REBOOT", ip("10.1.0.12")), {
    kind: "drop",
    reason: "no-binding",
  });
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  assertEquals(replyOf(a.doRequest("INIT-REBOOT", a.address)).replyType, "ACK");
  assertEquals(replyOf(a.doRequest("INIT-REBOOT", ip("10.1.0.12"))).replyType, "NAK");
});

Deno.test("RENEWING (unicast) and REBINDING (relayed broadcast) extend the binding", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1), giaddr: "10.1.0.1" });
  a.doDora();
  const start = server.store.get(a.address)!.startSec;
  server.advance(1800);
  const renew = replyOf(a.renew());
  assertEquals(renew.replyType, "ACK");
  assertEquals(renew.to, { kind: "unicast", ip: a.address }, "ciaddr selects the subnet");
  assertEquals(renew.reply.ciaddr, a.address);
  assertEquals(server.store.get(a.address)?.endSec, server.nowSec + 3600);
  assertEquals(server.store.get(a.address)?.startSec, start);
  server.advance(3200);
  const rebind = replyOf(a.rebind());
  assertEquals([rebind.replyType, rebind.to], ["ACK", { kind: "relay", ip: ip("10.1.0.1") }]);
});

Deno.test("RENEWING: NAK for another's address; unknown address by authority", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const b = new TestClient(server, { mac: mac(2) });
  assertEquals(replyOf(b.doRequest("RENEWING", a.address)).replyType, "NAK");
  assertEquals(replyOf(b.doRequest("RENEWING", a.address)).to, { kind: "broadcast" });
  // Authoritative, free address with no record (e.g. a lost lease file): re-bound.
  assertEquals(replyOf(b.doRequest("RENEWING", ip("10.0.0.170"))).replyType, "ACK");
  const quiet = new TestServer(makeConfig({ authoritative: false }));
  const c = new TestClient(quiet, { mac: mac(3) });
  assertEquals(c.doRequest("RENEWING", ip("10.0.0.170")), { kind: "drop", reason: "no-binding" });
  assertEquals(c.doRequest("REBINDING", ip("10.0.0.170")), { kind: "drop", reason: "no-binding" });
});

Deno.test("RELEASE: only the owner's release counts", () => {
  const server = new TestServer();
  const a = new TestClient(server, { mac: mac(1) });
  a.doDora();
  const addr = a.address;
  const b = new TestClient(server, { mac: mac(2) });
  b.address = addr;
  b.serverId = ip(SERVER_ID);
  assertEquals(b.release(), { kind: "drop", reason: "no-binding" });
  assertEquals(server.store.get(addr)?.state, "active");
  assertEquals(a.release().kind, "no-reply");
  assertEquals(server.store.get(addr)?.state, "released");
});

Deno.test("INFORM: ACK with options, no lease, to ciaddr or through the relay", () => {
  const server = new TestServer();
  const c = new TestClient(server, { mac: mac(1), prl: [3, 6] });
  const r = replyOf(c.inform(ip("10.0.0.7")));
  assertEquals(r.replyType, "ACK");
  assertEquals(r.reply.yiaddr, IPV4_ZERO);
  assertEquals(r.reply.ciaddr, ip("10.0.0.7"));
  assertEquals(r.to, { kind: "unicast", ip: ip("10.0.0.7") });
  for (const code of [OPT.ipAddressLeaseTime, OPT.renewalTime, OPT.rebindingTime]) {
    assert(!r.reply.options.has(code));
  }
  assertEquals(optionIp(r.reply, OPT.routers), ip("10.0.0.1"));
  assertEquals(server.store.size(), 0, "INFORM records nothing");
  const relayed = new TestClient(server, { mac: mac(2), giaddr: "10.1.0.1" });
  const rr = replyOf(relayed.inform(ip("10.1.0.99")));
  assertEquals(rr.to, { kind: "relay", ip: ip("10.1.0.1") });
  assertEquals(optionIp(rr.reply, OPT.routers), ip("10.1.0.1"));
});

Deno.test("packets that are not served are dropped with reasons", () => {
  const server = new TestServer();
  const c = new TestClient(server);
  assertEquals(server.handle(c.packet(99)), { kind: "drop", reason: "unknown-message-type" });
  assertEquals(server.handle(c.packet(MSG.OFFER)), {
    kind: "drop",
    reason: "unknown-message-type",
  });
  assertEquals(server.handle({ ...c.packet(MSG.DISCOVER), op: 2 }), {
    kind: "drop",
    reason: "not-a-request",
  });
  const bootp = c.packet(MSG.DISCOVER);
  assertEquals(server.handle({ ...bootp, options: new Map() }), {
    kind: "drop",
    reason: "no-message-type",
  });
  assertEquals(server.handle({ ...bootp, hlen: 0 }), { kind: "drop", reason: "bad-hlen" });
  assertEquals(server.handle(c.packet(MSG.REQUEST)), { kind: "drop", reason: "bad-request" });
});
