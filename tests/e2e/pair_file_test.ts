/**
 * One file for both boxes (issue #12 item 1): the same pair.toml, with two [[box]] tables, is
 * started on both boxes without --box; each finds itself by its namespace's addresses. The
 * pair reaches NORMAL with matching scopes, a real client behind dhcrelay is served, its lease
 * reaches the other box, and `tandem check-config pair.toml` checks the file as a pair.
 *
 * Run (root): scripts/deno test --allow-all tests/e2e/pair_file_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, run, Topology, waitFor } from "../helpers/netns.ts";
import { normalizeMac, TANDEM_BIN } from "../helpers/tandem_process.ts";
import { buildPairNet, LAN, startPair } from "../helpers/pair_topology.ts";
import { boundClient } from "../helpers/pair_clients.ts";

const skip = e2eSkipReason(["udhcpc", "dhcrelay", "curl", "bridge"]);

Deno.test({
  name: "pair file: one file started on both boxes finds each box, reaches NORMAL and serves",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("pf");
    const started: { stop(): Promise<void> }[] = [];
    try {
      const net = await buildPairNet(topo);
      const { primary, secondary, normalMs } = await startPair(net, { pairFile: true });
      started.push(primary, secondary);
      assertEquals(primary.configPath, secondary.configPath, "one file for both boxes");
      const text = await Deno.readTextFile(primary.configPath);
      const head = text.slice(0, text.indexOf("[[box]]"));
      assert(!/^(role|server_id) = /m.test(head), "no per-box key outside the [[box]] tables");

      const check = await run([TANDEM_BIN, "check-config", primary.configPath]);
      assert(check.stdout.includes("fit together as a pair"), check.stdout + check.stderr);

      const x = await boundClient(net, 1, 0x51);
      assertEquals(x.got.server, LAN.primary, "hot-standby: the primary answers");
      await waitFor(
        "the lease on the secondary",
        async () =>
          (await secondary.leases()).some((l) =>
              l.ip === x.got.ip && l.state === "active" && l.hwAddr === normalizeMac(x.c.mac)
            )
            ? true
            : undefined,
        20_000,
        200,
      );
      const log = await primary.log();
      assert(log.includes('"role":"primary"'), "the primary's process took the primary box");
      assert((await secondary.log()).includes('"role":"secondary"'));
      console.log(`pair file: NORMAL after ${normalMs} ms; ${x.got.ip} on both boxes`);
    } finally {
      for (const s of started) await s.stop();
      await topo.cleanup();
    }
  },
});
