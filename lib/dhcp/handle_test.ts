import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { MSG, OPT } from "../wire/option_registry.ts";
import { ipv4 } from "../wire/ipv4.ts";
import type { DhcpPacket } from "../wire/dhcp_message.ts";
import { handle } from "./handle.ts";
import { type ServingScope, STANDALONE_SCOPE } from "./scope.ts";
import {
  optionU32,
  replyOf,
  TestClient,
  testContext,
  TestServer,
} from "../../tests/helpers/test_client.ts";
import { ip, makeConfig, SERVER_ID } from "../../tests/helpers/test_config.ts";

const OTHER_SERVER = ip("10.0.0.2");

Deno.test("scope: clients the scope does not answer are dropped as not-our-client", () => {
  const renewOnly: ServingScope = {
    ...STANDALONE_SCOPE,
    answers: (_k, _s, kind) => kind === "renew",
  };
  const server = new TestServer(makeConfig(), renewOnly);
  const c = new TestClient(server);
  assertEquals(c.discover(), { kind: "drop", reason: "not-our-client" });
  assertEquals(c.doRequest("INIT-REBOOT", ip("10.0.0.100")), {
    kind: "drop",
    reason: "not-our-client",
  });
  assertEquals(replyOf(c.doRequest("RENEWING", ip("10.0.0.100"))).replyType, "ACK");
});

Deno.test("scope: capLeaseEnd (MCLT) shortens offered and acknowledged leases", () => {
  const mclt: ServingScope = {
    ...STANDALONE_SCOPE,
    capLeaseEnd: (_l, end, now) => Math.min(end, now + 600),
  };
  const server = new TestServer(makeConfig(), mclt);
  const c = new TestClient(server);
  const { offer, ack } = c.doDora();
  assertEquals(optionU32(replyOf(offer).reply, OPT.ipAddressLeaseTime), 600);
  assertEquals(optionU32(replyOf(ack).reply, OPT.renewalTime), 300);
  assertEquals(server.store.get(c.address)?.endSec, server.nowSec + 600);
});

Deno.test("another server's id on DECLINE, RELEASE and a renewal: not-for-us", () => {
  const server = new TestServer();
  const c = new TestClient(server);
  c.doDora();
  const addr = c.address;
  c.serverId = OTHER_SERVER;
  assertEquals(c.decline(addr), { kind: "drop", reason: "not-for-us" });
  c.address = addr;
  assertEquals(c.release(), { kind: "drop", reason: "not-for-us" });
  const renewal = c.packet(MSG.REQUEST, {
    ciaddr: addr,
    options: { [OPT.serverIdentifier]: new Uint8Array([10, 0, 0, 2]) },
  });
  assertEquals(server.handle(renewal), { kind: "drop", reason: "not-for-us" });
  assertEquals(server.store.get(addr)?.state, "active");
});

Deno.test("DECLINE without option 50 and RELEASE without ciaddr are bad requests", () => {
  const server = new TestServer();
  const c = new TestClient(server);
  assertEquals(server.handle(c.packet(MSG.DECLINE)), { kind: "drop", reason: "bad-request" });
  assertEquals(server.handle(c.packet(MSG.RELEASE)), { kind: "drop", reason: "bad-request" });
});

Deno.test("SELECTING another server with no offer of ours: plain drop", () => {
  const c = new TestClient(new TestServer());
  assertEquals(c.doRequest("SELECTING", ip("10.0.0.150"), OTHER_SERVER), {
    kind: "drop",
    reason: "not-for-us",
  });
});

Deno.test("DISCOVER again: the same offer; a bound client is offered its binding", () => {
  const server = new TestServer();
  const c = new TestClient(server, { mac: "02:00:00:00:00:44" });
  const first = replyOf(c.discover()).reply.yiaddr;
  assertEquals(replyOf(c.discover()).reply.yiaddr, first);
  c.doRequest("SELECTING");
  assertEquals(replyOf(c.discover("10.0.0.190")).reply.yiaddr, first);
});

Deno.test("ACK of a new address releases the client's other binding in the subnet", () => {
  const server = new TestServer();
  const c = new TestClient(server);
  c.doDora();
  const old = c.address;
  const d = replyOf(c.doRequest("SELECTING", ip("10.0.0.190"), ip(SERVER_ID)));
  assertEquals([d.replyType, d.reply.yiaddr], ["ACK", ip("10.0.0.190")]);
  assertEquals(server.store.get(old)?.state, "released");
  assertEquals(server.store.get(ip("10.0.0.190"))?.state, "active");
});

Deno.test("a late renewal of the client's own lapsed lease is ACKed while the address is free", () => {
  const server = new TestServer(makeConfig({ authoritative: false }));
  const c = new TestClient(server);
  c.doDora();
  server.advance(4000);
  assertEquals(replyOf(c.renew()).replyType, "ACK");
  assertEquals(server.store.get(c.address)?.endSec, server.nowSec + 3600);
});

Deno.test("untrusted input never throws: random packets get a Decision", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const ctx = testContext();
  const codes = [1, 3, 12, 50, 51, 53, 54, 55, 57, 61, 82, 118];
  for (let i = 0; i < 2000; i++) {
    const options = new Map<number, Uint8Array>();
    for (let k = rnd(6); k > 0; k--) {
      const value = new Uint8Array(rnd(8));
      for (let j = 0; j < value.length; j++) value[j] = rnd(256);
      if (rnd(3) === 0 && value.length > 0) value[0] = rnd(10);
      options.set(codes[rnd(codes.length)] ?? 53, value);
    }
    if (rnd(2) === 0) options.set(53, new Uint8Array([rnd(10)]));
    const chaddr = new Uint8Array(16).map(() => rnd(256));
    const p: DhcpPacket = {
      op: rnd(3),
      htype: rnd(3),
      hlen: rnd(20),
      hops: 0,
      xid: i,
      secs: 0,
      flags: rnd(2) << 15,
      ciaddr: rnd(2) === 0 ? ipv4(0) : ip(`10.${rnd(3)}.0.${rnd(256)}`),
      yiaddr: ipv4(0),
      siaddr: ipv4(0),
      giaddr: rnd(2) === 0 ? ipv4(0) : ip(`10.${rnd(3)}.0.1`),
      chaddr,
      sname: new Uint8Array(64),
      file: new Uint8Array(128),
      options,
    };
    const d = handle(p, ctx);
    assert(["drop", "reply", "no-reply"].includes(d.kind));
    if (d.kind !== "drop") ctx.store.apply(d.ops);
  }
});

Deno.test("a server id in a DISCOVER is ignored", () => {
  const server = new TestServer();
  const c = new TestClient(server);
  const p = c.packet(MSG.DISCOVER, {
    options: { [OPT.serverIdentifier]: new Uint8Array([10, 0, 0, 2]) },
  });
  assertEquals(
    replyOf(server.handle(p)).replyType,
    "OFFER",
    "a server id in a DISCOVER is ignored",
  );
});
