/**
 * Fuzzes the DHCP core with the codec fuzzer's 200,000 hostile inputs: every input that
 * decodes goes through handle() as it came, and again steered into a served subnet with a
 * random message type, so the deep paths (allocation, NAK, DECLINE, RELEASE) see hostile
 * options too. handle() must never throw, and every ACK it gives must match the store.
 */
import assert from "node:assert/strict";
import { handle } from "../lib/dhcp/handle.ts";
import { STANDALONE_SCOPE } from "../lib/dhcp/scope.ts";
import { MemoryLeaseStore } from "../lib/lease/memory_store.ts";
import { decodeDhcp, type DhcpPacket } from "../lib/wire/dhcp_message.ts";
import { clientKey } from "../lib/wire/client_key.ts";
import { ipv4, ipv4ToBytes } from "../lib/wire/ipv4.ts";
import { OPT } from "../lib/wire/option_registry.ts";
import { fuzzDhcpInputs, prng } from "./helpers/packet_fuzzer.ts";
import { makeConfig } from "./helpers/test_config.ts";

const COUNT = 200_000;

Deno.test(`core fuzz: ${COUNT} hostile packets through handle()`, () => {
  const config = makeConfig();
  const subnet = config.subnets[0]!;
  const store = new MemoryLeaseStore();
  const rand = prng(0x5eed);
  let nowSec = 1_700_000_000;
  const kinds = { drop: 0, reply: 0, "no-reply": 0, ack: 0 };
  const run = (p: DhcpPacket, where: string) => {
    let d;
    try {
      d = handle(p, { config, leases: store, nowSec, scope: STANDALONE_SCOPE });
    } catch (e) {
      throw new Error(`${where}: handle() threw: ${e instanceof Error ? e.stack : e}`);
    }
    kinds[d.kind]++;
    if (d.kind === "drop") return;
    store.apply(d.ops);
    if (d.kind === "reply" && d.replyType === "ACK" && d.reply.yiaddr !== 0) {
      kinds.ack++;
      const l = store.get(d.reply.yiaddr);
      assert.ok(l !== undefined && l.state === "active", `${where}: ACK without active lease`);
      assert.equal(l.clientKey, clientKey(p), `${where}: ACKed address held by another client`);
    }
  };
  fuzzDhcpInputs(COUNT, 0xc0de, (bytes, index, strategy) => {
    if (index % 1000 === 0) nowSec += 97;
    const r = decodeDhcp(bytes);
    if (!r.ok) return;
    const where = `input #${index} (${strategy})`;
    run(r.packet, where);
    const options = new Map(r.packet.options);
    options.set(OPT.dhcpMessageType, new Uint8Array([1 + Math.floor(rand() * 8)]));
    const steered: DhcpPacket = {
      ...r.packet,
      op: 1,
      giaddr: ipv4(subnet.cidr.network + 1),
      options,
    };
    run(steered, `${where} steered`);
    // And as a SELECTING REQUEST naming us and a pool address, so ACK paths run too.
    const sel = new Map(r.packet.options);
    sel.set(OPT.dhcpMessageType, new Uint8Array([3]));
    sel.set(OPT.serverIdentifier, ipv4ToBytes(config.serverId));
    const pool = subnet.pools[0]!.ranges[0]!;
    sel.set(OPT.requestedIpAddress, ipv4ToBytes(ipv4(pool.start + Math.floor(rand() * 40))));
    run({ ...steered, ciaddr: ipv4(0), options: sel }, `${where} selecting`);
  });
  console.log("decisions:", kinds, "leases stored:", store.size());
  assert.ok(kinds.drop > 0 && kinds.reply > 0 && kinds.ack > 0, JSON.stringify(kinds));
});
