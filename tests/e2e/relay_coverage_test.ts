/**
 * Relay coverage (issue #12 item 4), end to end: a second relay agent (giaddr 10.20.0.9, the
 * service prober) forwards to the primary only, as a router with one helper address does. Both
 * boxes raise the alarm (/status, /metrics, the log) after relay_alarm_sec, naming the relay and
 * the fix, while /readyz stays 200; once the relay forwards to both boxes, the alarm clears.
 *
 * Run (root): scripts/deno test --allow-all tests/e2e/relay_coverage_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, Topology, waitFor } from "../helpers/netns.ts";
import { buildPairNet, LAN, startPair } from "../helpers/pair_topology.ts";
import { PROBE_GIADDR, startServiceProbe } from "../helpers/service_probe.ts";

const skip = e2eSkipReason(["dhcrelay", "curl", "bridge"]);
const ALARM_SEC = 4;

interface Coverage {
  readonly relay: string;
  readonly heard_by: string;
  readonly problem: string;
}

Deno.test({
  name: "relay coverage: a relay with one helper raises the alarm on both boxes, then clears",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("rc");
    const started: { stop(): Promise<void> }[] = [];
    try {
      const net = await buildPairNet(topo);
      const { primary, secondary } = await startPair(net, { relayAlarmSec: ALARM_SEC });
      started.push(primary, secondary);
      const coverage = async (node: typeof primary): Promise<Coverage[]> => {
        const r = await node.status();
        return ((r?.failover as { relay_coverage?: Coverage[] })?.relay_coverage) ?? [];
      };

      const oneHelper = await startServiceProbe(net, 250, [LAN.primary]);
      const t0 = Date.now();
      const [onP, onS] = await waitFor(
        "the one-sided relay alarm on both boxes",
        async () => {
          const [p, s] = [await coverage(primary), await coverage(secondary)];
          return p.length > 0 && s.length > 0 ? [p, s] : undefined;
        },
        30_000,
        200,
      );
      const raisedMs = Date.now() - t0;
      assertEquals(onP.map((c) => [c.relay, c.heard_by]), [[PROBE_GIADDR, "this box"]]);
      assertEquals(onS.map((c) => [c.relay, c.heard_by]), [[PROBE_GIADDR, "partner"]]);
      assert(
        onP[0]!.problem.includes(`add the partner (${LAN.secondary}) as a helper`),
        onP[0]!.problem,
      );
      assert(onS[0]!.problem.includes("add this box as a helper"), onS[0]!.problem);
      const metrics = await primary.metrics();
      assert(
        new RegExp(`^tandem_relay_one_sided\\{[^}]*relay="${PROBE_GIADDR}"[^}]*\\} 1$`, "m")
          .test(metrics),
        metrics.split("\n").filter((l) => l.includes("relay")).join("\n"),
      );
      assertEquals(await primary.httpStatus("/readyz"), 200, "a warning, not an outage");
      assertEquals(await secondary.httpStatus("/readyz"), 200);
      assert((await primary.log()).includes('"relay.one_sided"'));
      await oneHelper.stop();

      const bothHelpers = await startServiceProbe(net, 250);
      const t1 = Date.now();
      await waitFor(
        "the alarm cleared on both boxes",
        async () =>
          (await coverage(primary)).length === 0 && (await coverage(secondary)).length === 0
            ? true
            : undefined,
        30_000,
        200,
      );
      const clearedMs = Date.now() - t1;
      assert((await primary.log()).includes('"relay.one_sided_cleared"'));
      await bothHelpers.stop();
      console.log(
        `relay coverage: alarm on both boxes ${raisedMs} ms after the one-helper relay began ` +
          `(relay_alarm_sec ${ALARM_SEC}); cleared ${clearedMs} ms after it forwarded to both`,
      );
    } finally {
      for (const s of started) await s.stop();
      await topo.cleanup();
    }
  },
});
