/**
 * Scopes synced by the pair (issue #12 item 2), with real processes: the secondary's file has
 * another pool than the primary's; at connect it takes the primary's scopes (its identity stays
 * its own) and the pair reaches NORMAL with one fingerprint. A scope changed on the primary
 * (a DNS server added, then SIGHUP) reaches the secondary and is served there: with the primary
 * killed, a new client of the secondary gets the new option.
 *
 * Run (root): scripts/deno test --allow-all tests/e2e/scope_sync_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, run, Topology, waitFor } from "../helpers/netns.ts";
import { buildPairNet, LAN, nsAddressing, PairNode, waitStates } from "../helpers/pair_topology.ts";
import { boundClient } from "../helpers/pair_clients.ts";

const skip = e2eSkipReason(["udhcpc", "dhcrelay", "curl", "bridge"]);
const DNS = "10.20.0.53";

Deno.test({
  name: "scope sync: the secondary takes the primary's scopes at connect and after a reload",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("ss");
    const nodes: PairNode[] = [];
    try {
      const net = await buildPairNet(topo);
      const primary = new PairNode(topo, net.p, "primary", nsAddressing("primary"), {
        receiveTimerMs: 800,
      });
      // The secondary's own file has another pool: the primary's wins.
      const secondary = new PairNode(topo, net.s, "secondary", nsAddressing("secondary"), {
        pool: "10.20.0.100-10.20.0.180",
      });
      nodes.push(primary, secondary);
      await secondary.spawn();
      await primary.spawn();
      const matched = () =>
        waitStates(
          [primary, secondary],
          (f) => f.state === "normal" && f.partner_state === "normal" && f.config.match,
          "both NORMAL with the same scopes",
        );
      await matched();
      const synced = () =>
        secondary.log().then((l) =>
          l.split("\n").filter((x) => x.includes("failover.scopes_synced"))
        );
      const first = await synced();
      assertEquals(first.length, 1, "the secondary took the primary's scopes once");
      assert(first[0]!.includes("subnets[0].pools[0].ranges[0][1]"), first[0]);

      // A scope change on the primary: SIGHUP applies it there and sends it over.
      const text = await Deno.readTextFile(primary.configPath);
      await Deno.writeTextFile(
        primary.configPath,
        text.replace(/^routers = (.*)$/m, `routers = $1\ndomain_name_servers = ["${DNS}"]`),
      );
      await run(["kill", "-HUP", String(primary.pid())]);
      const t0 = Date.now();
      await waitFor(
        "the change on the secondary",
        async () => (await synced()).length === 2 || undefined,
        20_000,
        100,
      );
      const syncMs = Date.now() - t0;
      await matched();
      assert((await primary.log()).includes('"config.reloaded"'), "the primary applied it live");

      // Served there: the primary gone, the secondary gives a new client the new option.
      await primary.kill9();
      const x = await boundClient(net, 1, 0x55);
      assertEquals(x.got.server, LAN.secondary);
      assertEquals(x.got.dns, DNS, "the secondary serves the primary's new option");
      console.log(
        `scope sync: a scope change on the primary reached the secondary ${syncMs} ms after ` +
          "SIGHUP and was served there",
      );
    } finally {
      for (const n of nodes) await n.stop();
      await topo.cleanup();
    }
  },
});
