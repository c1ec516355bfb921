/**
 * A Tandem failover pair end to end: real udhcpc clients -> ISC dhcrelay (two servers) ->
 * primary + secondary in their own namespaces, failover TCP on its own link
 * (tests/helpers/pair_topology.ts). Each test builds and deletes its own topology.
 *
 *   a. both boxes reach NORMAL; a client gets a lease through dhcrelay; the secondary has it.
 *   b. takeover: kill -9 the primary, start a new client at once; the secondary must SEND an
 *      ACK within 1 s of the kill (router-side tshark capture). Prints takeover_ms=.
 *   c. resync: restart the primary on its state dir; time until both are NORMAL again and the
 *      primary holds every lease the secondary granted alone. Prints resync_ms=.
 *   d. partition: the failover link goes down while clients keep coming; both boxes must reach
 *      COMMUNICATIONS-INTERRUPTED within ~1 s; heal; NORMAL again; no address ACKed to two
 *      clients. Prints duplicates=.
 *
 * Run (root): scripts/deno test --allow-all tests/e2e/pair_test.ts
 * Set TDM_KEEP_TMP=1 to keep configs, logs and captures.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, sleep, Topology, waitFor } from "../helpers/netns.ts";
import { type LeaseRow, normalizeMac } from "../helpers/tandem_process.ts";
import {
  buildPairNet,
  LAN,
  type PairNet,
  type PairNode,
  RELAYED_POOL,
  startPair,
  waitStates,
} from "../helpers/pair_topology.ts";
import { Capture, DHCPACK, UdhcpcClient } from "../helpers/pair_clients.ts";
import { ipInRange } from "./real_clients.ts";

const skip = e2eSkipReason(["udhcpc", "dhcrelay", "curl", "tshark", "bridge"]);
const TAKEOVER_LIMIT_MS = 1000;
const INTERRUPT_LIMIT_MS = 1500; // receive_timer_ms = 800 plus polling

interface Ctx {
  topo: Topology;
  net: PairNet;
  primary: PairNode;
  secondary: PairNode;
}

/** Builds the topology and a NORMAL pair, runs body, always cleans up (logs on failure). */
async function withPair(tag: string, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const topo = await Topology.create(tag);
  let nodes: PairNode[] = [];
  try {
    const net = await buildPairNet(topo);
    const { primary, secondary, normalMs } = await startPair(net);
    nodes = [primary, secondary];
    console.log(`pair NORMAL ${normalMs} ms after start`);
    await body({ topo, net, primary, secondary });
  } catch (e) {
    for (const n of nodes) {
      console.error(`--- ${n.role} log (tail) ---\n${(await n.log()).slice(-3000)}`);
    }
    throw e;
  } finally {
    for (const n of nodes) await n.stop();
    await topo.cleanup();
  }
}

const active = (ls: LeaseRow[]) => ls.filter((l) => l.state === "active");

async function leaseFor(node: PairNode, ip: string): Promise<LeaseRow | undefined> {
  return (await node.leases()).find((l) => l.ip === ip);
}

async function newClient(net: PairNet, i: number, tag: number): Promise<UdhcpcClient> {
  const c = new UdhcpcClient(net, i, UdhcpcClient.macFor(i, tag));
  await c.prepare();
  return c;
}

Deno.test({
  name: "pair: both NORMAL, a relayed udhcpc client gets a lease, the secondary has it",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPair("pa", async ({ net, primary, secondary }) => {
      const client = await newClient(net, 1, 0x11);
      await client.start();
      const got = await client.bound();
      assert(ipInRange(got.ip, RELAYED_POOL), `client got ${got.ip}, outside ${RELAYED_POOL}`);
      assertEquals(got.server, LAN.primary, "in hot-standby NORMAL the primary answers");
      const want = normalizeMac(client.mac);
      const onPrimary = await leaseFor(primary, got.ip);
      assertEquals(onPrimary?.state, "active");
      assertEquals(onPrimary?.hwAddr, want);
      const replicated = await waitFor(`secondary has ${got.ip}`, async () => {
        const l = await leaseFor(secondary, got.ip);
        return l?.state === "active" ? l : undefined;
      }, 5000).catch(async (e) => {
        throw new Error(`${e}\nsecondary: ${JSON.stringify(await secondary.leases())}`);
      });
      assertEquals(replicated.hwAddr, want);
      const f = await secondary.failover();
      assertEquals(f?.unacked_updates, 0);
    });
  },
});

Deno.test({
  name: "pair: kill -9 primary -> secondary serves a new client < 1 s; restart -> resync",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await withPair("pb", async ({ topo, net, primary, secondary }) => {
      // One lease in NORMAL, so the pair has state before the crash.
      const first = await newClient(net, 1, 0x21);
      await first.start();
      const before = await first.bound();

      const cap = new Capture(topo, net.r, "brs", "udp port 67", `${topo.tmpDir}/takeover.pcap`);
      await cap.start();
      const clients = [2, 3, 4].map((i) => newClient(net, i, 0x21));
      const [taker, ...others] = await Promise.all(clients);
      await sleep(300); // let the bridge ports settle before the clock starts

      let killAt = 0;
      const granted: { ip: string; mac: string }[] = [];
      await t.step("takeover", async () => {
        killAt = Date.now();
        await primary.kill9();
        await taker!.start();
        const bound = await taker!.bound(15_000);
        const clientMs = bound.atMs - killAt;
        // Let the capture catch up, then find the secondary's ACK to this client.
        await sleep(300);
        await cap.stop();
        const acks = (await cap.dhcp()).filter((m) =>
          m.type === DHCPACK && m.src === LAN.secondary &&
          normalizeMac(m.mac) === normalizeMac(taker!.mac)
        );
        assert(
          acks.length > 0,
          `no ACK from the secondary in the capture: ${JSON.stringify(await cap.dhcp())}`,
        );
        const ackMs = acks[0]!.atMs - killAt;
        console.log(
          `takeover_ms=${ackMs} (kill -> secondary sent ACK; client bound after ${clientMs} ms)`,
        );
        assertEquals(bound.server, LAN.secondary);
        assert(ipInRange(bound.ip, RELAYED_POOL), bound.ip);
        assert(bound.ip !== before.ip, "the new client got the first client's address");
        assert(ackMs < TAKEOVER_LIMIT_MS, `takeover took ${ackMs} ms (limit ${TAKEOVER_LIMIT_MS})`);
        granted.push({ ip: bound.ip, mac: taker!.mac });
        const f = await secondary.failover();
        console.log(`secondary after takeover: state=${f?.state} connected=${f?.connected}`);
      });

      await t.step("resync after restart", async () => {
        // Two more clients served by the secondary alone.
        for (const c of others) await c.start();
        for (const c of others) {
          const b = await c.bound();
          assertEquals(b.server, LAN.secondary);
          granted.push({ ip: b.ip, mac: c.mac });
        }
        const t0 = Date.now();
        await primary.spawn();
        const normal = await waitStates(
          [primary, secondary],
          (f) => f.state === "normal" && f.partner_state === "normal",
          "both NORMAL after the primary's restart",
          30_000,
          50,
        ).catch(async (e) => {
          throw new Error(`${e}\nprimary: ${(await primary.log()).slice(-3000)}`);
        });
        const synced = await waitFor(
          "primary holds every lease the secondary gave",
          async () => {
            const mine = new Map(active(await primary.leases()).map((l) => [l.ip, l.hwAddr]));
            return granted.every((g) => mine.get(g.ip) === normalizeMac(g.mac)) ? true : undefined;
          },
          15_000,
          50,
        ).catch(async (e) => {
          throw new Error(
            `${e}\nwanted ${JSON.stringify(granted)}\nprimary: ${
              JSON.stringify(await primary.leases())
            }`,
          );
        });
        assert(synced);
        const resyncMs = Date.now() - t0;
        console.log(
          `resync_ms=${resyncMs} (restart -> both NORMAL after ${normal} ms; then ` +
            `${granted.length} leases from the secondary present on the primary)`,
        );
        // The lease the primary gave before the crash survived the crash (its own store).
        const kept = await leaseFor(primary, before.ip);
        assertEquals(kept?.state, "active");
      });
    });
  },
});

Deno.test({
  name: "pair: partition of the failover link -> both COMM-INTERRUPTED, heal, no duplicates",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPair("pd", async ({ topo, net, primary, secondary }) => {
      const cap = new Capture(topo, net.r, "brs", "udp port 67", `${topo.tmpDir}/partition.pcap`);
      await cap.start();
      const all: UdhcpcClient[] = [];
      const batch = async (from: number, n: number) => {
        const cs = await Promise.all(
          Array.from({ length: n }, (_, k) => newClient(net, from + k, 0x31)),
        );
        all.push(...cs);
        await Promise.all(cs.map((c) => c.start()));
        return await Promise.all(cs.map((c) => c.bound(25_000)));
      };
      await batch(1, 3); // NORMAL

      const cutAt = Date.now();
      await net.cutFailover();
      // Clients keep coming during the partition.
      const during = batch(10, 8);
      const interruptedMs = await waitStates(
        [primary, secondary],
        (f) => f.state === "communications-interrupted",
        "both COMMUNICATIONS-INTERRUPTED",
        10_000,
        25,
      ).then(() => Date.now() - cutAt);
      console.log(`interrupted_ms=${interruptedMs} (cut -> both COMMUNICATIONS-INTERRUPTED)`);
      const partitioned = await during;
      // Both sides must hand out addresses during the partition. The relay reaches both and
      // the primary usually answers first, so for one batch the primary's LAN port is down:
      // those clients can only be served by the secondary (from its BACKUP share).
      await net.setLan("primary", false);
      partitioned.push(...await batch(30, 4));
      await net.setLan("primary", true);
      partitioned.push(...await batch(40, 4));
      const servers = new Map<string, number>();
      for (const b of partitioned) servers.set(b.server, (servers.get(b.server) ?? 0) + 1);
      console.log(`clients during partition served by: ${JSON.stringify([...servers])}`);
      assert(servers.has(LAN.secondary) && servers.has(LAN.primary), "both sides served");
      assert(
        interruptedMs < INTERRUPT_LIMIT_MS,
        `COMMUNICATIONS-INTERRUPTED after ${interruptedMs} ms (limit ${INTERRUPT_LIMIT_MS})`,
      );

      await net.healFailover();
      const healMs = await waitStates(
        [primary, secondary],
        (f) => f.state === "normal" && f.partner_state === "normal",
        "both NORMAL after heal",
        30_000,
        50,
      );
      console.log(`normal_after_heal_ms=${healMs}`);
      await batch(50, 2); // NORMAL again
      await sleep(300);
      await cap.stop();

      // Every holder anyone knows about: the clients' own records, every ACK on the wire,
      // and both stores (after the heal both must agree).
      const holders = new Map<string, Set<string>>();
      const note = (ip: string, mac: string, from: string) => {
        if (!ip || ip === "0.0.0.0") return;
        const s = holders.get(ip) ?? new Set<string>();
        s.add(`${normalizeMac(mac)}`);
        holders.set(ip, s);
        if (s.size > 1) console.error(`duplicate: ${ip} -> ${[...s].join(", ")} (via ${from})`);
      };
      let clientAcks = 0;
      for (const c of all) {
        for (const e of await c.seen()) {
          if (e.reason === "bound") {
            clientAcks++;
            note(e.ip, c.mac, "client");
          }
        }
      }
      const wireAcks = (await cap.dhcp()).filter((m) => m.type === DHCPACK);
      for (const m of wireAcks) note(m.yiaddr, m.mac, `ACK from ${m.src}`);
      const stores = await waitFor(
        "both stores agree on active leases",
        async () => {
          const [p, s] = await Promise.all([primary.leases(), secondary.leases()]);
          const key = (ls: LeaseRow[]) =>
            active(ls).map((l) => `${l.ip}=${l.hwAddr}`).sort().join(",");
          return key(p) === key(s) ? { p, s } : undefined;
        },
        10_000,
        200,
      ).catch(async (e) => {
        const p = active(await primary.leases()).map((l) => `${l.ip}=${l.hwAddr}`);
        const s = active(await secondary.leases()).map((l) => `${l.ip}=${l.hwAddr}`);
        throw new Error(`${e}\nprimary: ${p.join(" ")}\nsecondary: ${s.join(" ")}`);
      });
      for (const l of active(stores.p)) note(l.ip, l.hwAddr, "primary store");
      for (const l of active(stores.s)) note(l.ip, l.hwAddr, "secondary store");
      const duplicates = [...holders.values()].filter((s) => s.size > 1).length;
      console.log(
        `duplicates=${duplicates} (clients bound ${clientAcks}, ACKs on the wire ${wireAcks.length}, ` +
          `active leases ${active(stores.p).length})`,
      );
      assertEquals(duplicates, 0);
      assertEquals(clientAcks, all.length, "every client got a lease");
    });
  },
});
