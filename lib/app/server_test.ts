/**
 * The runtime loop with a fake socket and a store whose commits the test releases by hand:
 * invariant 2 (no ACK before its commit), OFFERs that need no commit, group commit while a
 * transaction runs, and what a failed commit does to the packets decided on top of it.
 */
import { GatedStore } from "../../tests/helpers/gated_store.ts";
import { deepEqual, equal } from "node:assert/strict";
import { parseConfig } from "../config/parse_config.ts";
import { DhcpServer } from "./server.ts";
import { Registry } from "../http/metrics.ts";
import { commitHooks, dhcpMetrics } from "./dhcp_metrics.ts";
import { STANDALONE_SCOPE } from "../dhcp/scope.ts";
import { ManualClock } from "../clock.ts";
import { MemoryLog } from "../event_log.ts";
import type { Datagram, DatagramTransport, OutDatagram } from "../platform/udp.ts";
import { decodeDhcp, encodeDhcp } from "../wire/dhcp_message.ts";
import { formatIpv4, ipv4ToBytes, parseIpv4 } from "../wire/ipv4.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import { mac, request } from "../../tests/helpers/udp_relay_client.ts";

const parsed = parseConfig(`server_id = "10.9.0.1"
[[subnet]]
cidr = "10.9.0.0/24"
[[subnet.pool]]
range = "10.9.0.10-10.9.0.200"
`);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const config = parsed.config;
const giaddr = parseIpv4("10.9.0.1")!;

class FakeSocket implements DatagramTransport {
  readonly port = 67;
  readonly sent: OutDatagram[] = [];
  #deliver: ((d: Datagram) => void) | undefined;
  #closed: (() => void) | undefined;
  run(onDatagram: (d: Datagram) => void): Promise<void> {
    this.#deliver = onDatagram;
    return new Promise((r) => (this.#closed = r));
  }
  inject(bytes: Uint8Array): void {
    this.#deliver!({ data: bytes, fromIp: "10.9.0.1", fromPort: 67 });
  }
  send(): Promise<void> {
    throw new Error("the server sends in batches");
  }
  sendMany(list: readonly OutDatagram[]): readonly number[] {
    this.sent.push(...list);
    return [];
  }
  close(): void {
    this.#closed?.();
  }
  types(): string[] {
    return this.sent.map((d) => {
      const p = decodeDhcp(d.data);
      return p.ok ? `${p.packet.options.get(OPT.dhcpMessageType)![0]}` : "?";
    });
  }
}

function setup() {
  const store = new GatedStore();
  const sock = new FakeSocket();
  const registry = new Registry();
  const metrics = dhcpMetrics(registry, () => config, store);
  const log = new MemoryLog();
  const fatal: unknown[] = [];
  store.hooks = commitHooks(metrics, log, () => 0, (e) => {
    fatal.push(e);
    server.halt();
  });
  const server: DhcpServer = new DhcpServer({
    config,
    store,
    clock: new ManualClock(),
    transport: sock,
    log: new MemoryLog(),
    metrics,
    scope: () => STANDALONE_SCOPE,
  });
  void server.run();
  return { store, sock, server, metrics, log, fatal };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function discover(i: number): Uint8Array {
  return encodeDhcp(request(MSG.DISCOVER, mac(i), giaddr, i));
}

function requestFor(i: number, offered: Uint8Array): Uint8Array {
  const offer = decodeDhcp(offered);
  if (!offer.ok) throw new Error("bad offer");
  return encodeDhcp(request(MSG.REQUEST, mac(i), giaddr, i, [
    [OPT.requestedIpAddress, ipv4ToBytes(offer.packet.yiaddr)],
    [OPT.serverIdentifier, ipv4ToBytes(config.serverId)],
  ]));
}

Deno.test("server: an OFFER leaves at once, its ACK only after the commit resolves", async () => {
  const { store, sock, server } = setup();
  sock.inject(discover(1));
  await tick();
  deepEqual(sock.types(), [`${MSG.OFFER}`], "the OFFER needs no fsync (holds are memory-only)");
  sock.inject(requestFor(1, sock.sent[0]!.data));
  await tick();
  equal(sock.sent.length, 1, "no ACK while its transaction is open");
  equal(store.gates.length, 1, "the lease's transaction (holds are memory-only: none for them)");
  equal(store.size(), 1, "decided in the index at once");
  equal(store.durable.size(), 0, "not yet on disk");
  store.gates[0]!.open();
  await tick();
  deepEqual(sock.types(), [`${MSG.OFFER}`, `${MSG.ACK}`]);
  equal(store.durable.size(), 1, "the ACKed lease is on disk");
  await server.stop();
});

Deno.test("server: an ACK waits for its commit even when its batch ends with an OFFER", async () => {
  const { store, sock, server } = setup();
  sock.inject(discover(1));
  await tick();
  const offer = sock.sent[0]!.data;
  // One receive, one batch: the REQUEST (durable) and then a DISCOVER (memory-only hold).
  sock.inject(requestFor(1, offer));
  sock.inject(discover(2));
  await tick();
  deepEqual(sock.types(), [`${MSG.OFFER}`, `${MSG.OFFER}`], "no ACK before its fsync");
  // The client retransmits its REQUEST: nothing new to store, but its address is not durable.
  sock.inject(requestFor(1, offer));
  await tick();
  equal(sock.types().includes(`${MSG.ACK}`), false, "a repeated REQUEST's ACK waits too");
  while (store.gates.some((g) => !g.opened)) {
    store.gates.find((g) => !g.opened)!.open();
    await tick();
  }
  deepEqual(sock.types().filter((t) => t === `${MSG.ACK}`).length, 2);
  equal(store.durable.size(), 1, "the ACKed lease is on disk");
  await server.stop();
});

Deno.test("server: packets handled during a commit form the next group, one commit", async () => {
  const { store, sock, server, metrics } = setup();
  for (let i = 0; i < 3; i++) sock.inject(discover(i));
  await tick();
  const offers = sock.sent.slice();
  equal(offers.length, 3);
  equal(store.gates.length, 0, "offers are memory-only holds: no transaction");
  sock.inject(requestFor(0, offers[0]!.data));
  await tick();
  equal(store.gates.length, 1, "the first REQUEST's transaction runs");
  // While it runs, two more REQUESTs arrive.
  sock.inject(requestFor(1, offers[1]!.data));
  await tick();
  sock.inject(requestFor(2, offers[2]!.data));
  await tick();
  equal(store.gates.length, 1, "nothing starts while a transaction runs");
  store.gates[0]!.open();
  await tick();
  equal(store.gates.length, 2, "the two waiting REQUESTs share one transaction");
  equal(store.gates[1]!.ops.filter((o) => o.kind === "put").length, 2);
  store.gates[1]!.open();
  await tick();
  const acked = sock.sent.slice(3).map((d) => decodeDhcp(d.data));
  equal(acked.length, 3);
  const ips = acked.map((p) => (p.ok ? formatIpv4(p.packet.yiaddr) : "?"));
  equal(new Set(ips).size, 3, `three clients, three addresses: ${ips}`);
  equal(metrics.batchSize.count, 2);
  equal(metrics.batchSize.sum, 3, "1 REQUEST, then 2 REQUESTs");
  await server.stop();
});

Deno.test("server: a failed commit is fatal: no ACK of it or after it, store.fatal, halt", async () => {
  const { store, sock, server, metrics, log, fatal } = setup();
  sock.inject(discover(1));
  sock.inject(discover(2));
  await tick();
  const [o1, o2] = sock.sent.slice();
  sock.inject(requestFor(1, o1!.data));
  await tick();
  sock.inject(requestFor(2, o2!.data));
  await tick();
  store.gates[0]!.fail();
  await tick();
  equal(sock.sent.length, 2, "neither REQUEST was answered");
  equal(store.durable.size(), 0, "nothing reached the disk");
  equal(metrics.commitFailures.get(), 1);
  equal(fatal.length, 1, "the fatal callback ran once");
  equal(log.events.filter((e) => e.event === "store.fatal").length, 1);
  // Halted: a retransmission is not even read (the process is exiting; systemd restarts it).
  sock.inject(requestFor(1, o1!.data));
  await tick();
  equal(store.gates.length, 1, "nothing more was decided");
  equal(sock.sent.length, 2, "nothing more was sent");
  await server.stop();
});

Deno.test("server: stop() (SIGTERM) still sends the ACKs decided before it, once on disk", async () => {
  const { store, sock, server } = setup();
  sock.inject(discover(1));
  await tick();
  sock.inject(requestFor(1, sock.sent[0]!.data));
  await tick();
  const stopped = server.stop();
  sock.inject(discover(2)); // after stop: not taken
  await tick();
  equal(sock.sent.length, 1, "no ACK before its commit");
  store.gates[0]!.open();
  await stopped;
  deepEqual(sock.types(), [`${MSG.OFFER}`, `${MSG.ACK}`], "the ACK left before the socket closed");
});
