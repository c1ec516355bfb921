/**
 * Tandem paired with ISC dhcpd 4.4 (issue #11, legacy-peer mode `partner = "isc-dhcpd"`), in
 * network namespaces with dhcrelay pointing at both boxes and a real udhcpc client:
 *
 *   Tandem primary + dhcpd secondary, hot-standby: both reach NORMAL over the draft's protocol
 *   (no digest, HBA in CONNECT, one binding per BNDUPD), the client is served by Tandem, and
 *   dhcpd's lease file records the binding with the client's MAC.
 *
 * Run: scripts/deno test --allow-all tests/e2e/isc_interop_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, Topology, waitFor } from "../helpers/netns.ts";
import { normalizeMac } from "../helpers/tandem_process.ts";
import {
  buildPairNet,
  LAN,
  nsAddressing,
  PairNode,
  RELAYED_POOL,
} from "../helpers/pair_topology.ts";
import { UdhcpcClient } from "../helpers/pair_clients.ts";
import { dhcpdConf, IscDhcpd } from "../helpers/isc_dhcpd.ts";
import { ipInRange } from "./real_clients.ts";

/** A waitFor failure with both servers' logs attached. */
function failedWith(d: IscDhcpd, t: PairNode) {
  return async (e: unknown): Promise<never> => {
    throw new Error(`${e}\n--- dhcpd ---\n${await d.log()}\n--- tandem ---\n${await t.log()}`);
  };
}

const skip = e2eSkipReason(["dhcpd", "udhcpc", "dhcrelay", "curl", "bridge"]);

Deno.test({
  name: "isc interop: Tandem primary + dhcpd secondary reach NORMAL, a lease reaches dhcpd",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("ii");
    let primary: PairNode | undefined;
    let dhcpd: IscDhcpd | undefined;
    try {
      const net = await buildPairNet(topo);
      dhcpd = new IscDhcpd(topo, net.s, "secondary");
      await dhcpd.start(dhcpdConf("secondary", { mcltSec: 60 }));
      primary = new PairNode(topo, net.p, "primary", nsAddressing("primary"), {
        iscPartner: true,
        mcltSec: 60,
      });
      const t0 = Date.now();
      await primary.spawn();
      await primary.waitReady(30_000, true);
      const p = primary;
      const d = dhcpd;
      await waitFor(
        "Tandem primary and dhcpd secondary NORMAL",
        async () => {
          if (d.exited()) throw new Error(`dhcpd exited:\n${await d.log()}`);
          const f = await p.failover();
          return f?.state === "normal" && f.partner_state === "normal" ? f : undefined;
        },
        30_000,
        100,
      ).catch(failedWith(d, p));
      console.log(`NORMAL with dhcpd after ${Date.now() - t0} ms`);

      const client = new UdhcpcClient(net, 1, UdhcpcClient.macFor(1, 0x21));
      await client.prepare();
      await client.start();
      const got = await client.bound();
      assert(ipInRange(got.ip, RELAYED_POOL), `client got ${got.ip}`);
      assertEquals(got.server, LAN.primary, "hot-standby: the primary answers");
      const onDhcpd = await waitFor(
        `dhcpd records ${got.ip}`,
        async () => {
          const l = (await d.leases()).get(got.ip);
          return l?.state === "active" ? l : undefined;
        },
        10_000,
        100,
      ).catch(failedWith(d, p));
      assertEquals(normalizeMac(onDhcpd.mac), normalizeMac(client.mac));
      await waitFor(
        "dhcpd acknowledged every update",
        async () => {
          const f = await p.failover();
          return f?.unacked_updates === 0 && f.backlog === 0 ? true : undefined;
        },
        10_000,
        100,
      );
      // dhcpd never asks (POOLREQ): the Tandem primary gives it its BACKUP share unasked.
      const backups = await waitFor(
        "dhcpd holds BACKUP addresses",
        async () => {
          const n = [...(await d.leases()).values()].filter((l) => l.state === "backup").length;
          return n >= 20 ? n : undefined;
        },
        10_000,
        100,
      ).catch(failedWith(d, p));
      console.log(`dhcpd holds ${backups} BACKUP addresses`);

      // kill -9 the Tandem primary: dhcpd serves a new client from its own BACKUP addresses.
      await p.kill9();
      const killedAt = Date.now();
      const second = new UdhcpcClient(net, 2, UdhcpcClient.macFor(2, 0x21));
      await second.prepare();
      await second.start();
      const alone = await second.bound(30_000);
      assertEquals(alone.server, LAN.secondary, "the survivor, dhcpd, answers");
      assertEquals((await d.leases()).get(alone.ip)?.state, "active");
      console.log(`dhcpd served a new client ${Date.now() - killedAt} ms after kill -9`);
    } finally {
      await primary?.stop();
      dhcpd?.stop();
      await topo.cleanup();
    }
  },
});

Deno.test({
  name: "isc interop: dhcpd primary + Tandem secondary reach NORMAL, a lease reaches Tandem",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("ij");
    let secondary: PairNode | undefined;
    let dhcpd: IscDhcpd | undefined;
    try {
      const net = await buildPairNet(topo);
      secondary = new PairNode(topo, net.s, "secondary", nsAddressing("secondary"), {
        iscPartner: true,
        mcltSec: 60,
      });
      const t0 = Date.now();
      await secondary.spawn();
      await secondary.waitReady(30_000, true);
      dhcpd = new IscDhcpd(topo, net.p, "primary");
      await dhcpd.start(dhcpdConf("primary", { mcltSec: 60 }));
      const s = secondary;
      const d = dhcpd;
      const failed = failedWith(d, s);
      await waitFor(
        "dhcpd primary and Tandem secondary NORMAL",
        async () => {
          if (d.exited()) throw new Error(`dhcpd exited:\n${await d.log()}`);
          const f = await s.failover();
          return f?.state === "normal" && f.partner_state === "normal" ? f : undefined;
        },
        30_000,
        100,
      ).catch(failed);
      console.log(`NORMAL with dhcpd after ${Date.now() - t0} ms`);

      const client = new UdhcpcClient(net, 1, UdhcpcClient.macFor(1, 0x22));
      await client.prepare();
      await client.start();
      const got = await client.bound();
      assert(ipInRange(got.ip, RELAYED_POOL), `client got ${got.ip}`);
      assertEquals(got.server, LAN.primary, "hot-standby: dhcpd, the primary, answers");
      const onTandem = await waitFor(
        `Tandem records ${got.ip}`,
        async () => {
          const l = (await s.leases()).find((x) => x.ip === got.ip);
          return l?.state === "active" ? l : undefined;
        },
        10_000,
        100,
      ).catch(failed);
      assertEquals(onTandem.hwAddr, normalizeMac(client.mac));
      // dhcpd, the primary, gives its secondary BACKUP addresses on its own.
      const backups = await waitFor(
        "Tandem holds BACKUP addresses",
        async () => {
          const n = (await s.leases()).filter((l) => l.state === "backup").length;
          return n > 0 ? n : undefined;
        },
        20_000,
        200,
      ).catch(failed);
      console.log(`Tandem holds ${backups} BACKUP addresses from dhcpd`);

      // kill -9 dhcpd: the Tandem secondary serves a new client from its BACKUP addresses.
      d.kill9();
      const killedAt = Date.now();
      const second = new UdhcpcClient(net, 2, UdhcpcClient.macFor(2, 0x22));
      await second.prepare();
      await second.start();
      const alone = await second.bound(30_000);
      assertEquals(alone.server, LAN.secondary, "the survivor, Tandem, answers");
      const rec = (await s.leases()).find((x) => x.ip === alone.ip);
      assertEquals(rec?.state, "active");
      console.log(`Tandem served a new client ${Date.now() - killedAt} ms after kill -9`);
    } finally {
      await secondary?.stop();
      dhcpd?.stop();
      await topo.cleanup();
    }
  },
});
