/**
 * The rolling migration of a live ISC dhcpd failover pair to Tandem (issue #11 item 4, README
 * "Migrating from ISC dhcpd"), with real udhcpc clients behind dhcrelay:
 *
 *   1. a dhcpd pair (hot-standby) serves three clients;
 *   2. the dhcpd secondary stops; a Tandem secondary with an empty store (no --new-pair, its
 *      config from `tandem import` of the secondary's dhcpd.conf) starts and dials the running
 *      dhcpd primary (which keeps serving throughout), learns every binding from it and reaches
 *      NORMAL;
 *   3. the dhcpd primary stops; a Tandem primary (from `tandem import` of the primary's file)
 *      recovers from the Tandem secondary and the pair is NORMAL again;
 *   4. every client, asking again, gets the address it had; a new client during each swap is
 *      served (the time is printed); no address is active for two clients;
 *   5. throughout both swaps a prober (a second relay agent with both boxes as helpers) sends a
 *      new client's DISCOVER every 250 ms: no span of more than a second goes unanswered.
 *
 * Run: scripts/deno test --allow-all tests/e2e/dhcpd_migration_test.ts
 */
import { ok as assert } from "node:assert/strict";
import { e2eSkipReason, run, Topology, waitFor } from "../helpers/netns.ts";
import { normalizeMac, REPO_ROOT } from "../helpers/tandem_process.ts";
import { buildPairNet, nsAddressing, PairNode, type PairRole } from "../helpers/pair_topology.ts";
import { boundClient } from "../helpers/pair_clients.ts";
import { dhcpdConf, IscDhcpd } from "../helpers/isc_dhcpd.ts";
import { startServiceProbe } from "../helpers/service_probe.ts";

const skip = e2eSkipReason(["dhcpd", "udhcpc", "dhcrelay", "curl", "bridge"]);
const MCLT = 5;

Deno.test({
  name: "migration: a dhcpd pair becomes a Tandem pair, one box at a time, clients keep addresses",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("mg");
    const tandems: PairNode[] = [];
    const dhcpds: IscDhcpd[] = [];
    try {
      const net = await buildPairNet(topo);
      const ns = (role: PairRole) => role === "primary" ? net.p : net.s;
      const dhcpd = (role: PairRole) => {
        const d = new IscDhcpd(topo, ns(role), role);
        dhcpds.push(d);
        return d;
      };
      const dp = dhcpd("primary");
      const ds = dhcpd("secondary");
      await ds.start(dhcpdConf("secondary", { mcltSec: MCLT }));
      await dp.start(dhcpdConf("primary", { mcltSec: MCLT }));

      let n = 0;
      const client = () => boundClient(net, ++n, 0x40, 40_000);
      const first = [await client(), await client(), await client()];
      const had = new Map(first.map((x) => [normalizeMac(x.c.mac), x.got.ip]));

      // The config of each Tandem box from its dhcpd.conf, as an operator would make it.
      const tandem = async (role: PairRole) => {
        const node = new PairNode(topo, ns(role), role, nsAddressing(role), {
          iscPartner: true,
          mcltSec: MCLT,
          joinsExistingPair: true,
        });
        const imported = await run([
          `${REPO_ROOT}/scripts/tandem`,
          "import",
          "--dhcpd-conf",
          role === "primary" ? dp.conf : ds.conf,
          "--state-dir",
          node.stateDir,
        ]);
        assert(imported.stdout.includes('partner = "isc-dhcpd"'), imported.stdout);
        assert(imported.stdout.includes(`role = "${role}"`), imported.stdout);
        tandems.push(node);
        return node;
      };
      const normal = (node: PairNode, what: string) =>
        waitFor(
          what,
          async () => {
            const f = await node.failover();
            return f?.state === "normal" && f.partner_state === "normal" ? f : undefined;
          },
          60_000,
          200,
        ).catch(async (e) => {
          throw new Error(`${e}\n${await node.log()}\n${dhcpds.map((d) => d.log())}`);
        });

      const probe = await startServiceProbe(net);
      await new Promise((r) => setTimeout(r, 1000));
      const probeFrom = Date.now();
      const marks: [string, number][] = [];
      const mark = (what: string) => marks.push([what, Date.now() - probeFrom]);

      // Swap 1: the secondary.
      await ds.stopAndWait();
      mark("dhcpd secondary stopped");
      const ts = await tandem("secondary");
      const during1 = Date.now();
      await ts.spawn();
      await ts.waitReady(30_000, true);
      const new1 = await client();
      const swap1Ms = Date.now() - during1;
      await normal(ts, "dhcpd primary + Tandem secondary NORMAL");
      mark("swap 1 NORMAL");
      // dhcpd gives a first lease of MCLT (5 s here) until its partner acknowledges, and
      // udhcpc -q does not renew: by now the clients' leases may have ended. What must have
      // reached Tandem is each client's binding (its address kept for it, RFC 2131 §4.3.1).
      const onTs = new Map(
        (await ts.leases()).filter((l) => l.hwAddr !== "")
          .map((l) => [l.hwAddr, l.ip]),
      );
      for (const [mac, ip] of had) {
        if (onTs.get(mac) !== ip) {
          throw new Error(
            `the Tandem secondary lacks ${mac} -> ${ip}: ${
              JSON.stringify((await ts.leases()).map((l) => [l.ip, l.state, l.hwAddr]))
            }\n` +
              `${await ts.log()}\n--- dhcpd primary ---\n${await dp.log()}\n` +
              `--- dhcpd primary leases ---\n${await Deno.readTextFile(dp.leaseFile)}`,
          );
        }
      }

      // Swap 2: the primary.
      await dp.stopAndWait();
      mark("dhcpd primary stopped");
      const tp = await tandem("primary");
      await tp.spawn();
      await tp.waitReady(30_000, true);
      mark("Tandem primary ready");
      const during2 = Date.now();
      const new2 = await client();
      const swap2Ms = Date.now() - during2;
      await normal(tp, "Tandem pair NORMAL");
      const service = await probe.stop(probeFrom);
      assert(
        service.outageMs <= 1000,
        `new clients went unserved for ${service.outageMs} ms during the swaps: ` +
          JSON.stringify(
            service.probes.filter((p) => p.offerMs === null).map((p) => p.t - probeFrom),
          ) + ` ms after probing began; ${JSON.stringify(marks)}\n${await ts.log()}\n` +
          `--- Tandem primary ---\n${await tp.log()}`,
      );

      // Every client asks again and keeps its address.
      for (const x of [...first, new1, new2]) {
        // udhcpc -q quit once bound; a new run starts with DISCOVER (no address requested).
        const before = (await x.c.seen()).filter((e) => e.reason === "bound").length;
        await x.c.start();
        const again = await waitFor(
          `${x.c.mac} bound again`,
          async () => {
            const b = (await x.c.seen()).filter((e) => e.reason === "bound");
            return b.length > before ? b.at(-1) : undefined;
          },
          40_000,
          50,
        );
        if (again.ip !== x.got.ip) {
          throw new Error(
            `${x.c.mac} had ${x.got.ip} and now got ${again.ip}\n` +
              `primary: ${JSON.stringify(await tp.leases())}\n` +
              `secondary: ${JSON.stringify(await ts.leases())}\n--- Tandem secondary ---\n` +
              `${await ts.log()}\n--- Tandem primary ---\n${await tp.log()}`,
          );
        }
      }
      for (const node of [tp, ts]) {
        const owners = new Map<string, string>();
        for (const l of (await node.leases()).filter((l) => l.state === "active")) {
          assert(!owners.has(l.ip), `${l.ip} active twice on ${node.role}`);
          owners.set(l.ip, l.hwAddr);
        }
      }
      console.log(
        `migration: ${had.size + 2} clients kept their addresses; a new client was served ` +
          `${swap1Ms} ms into swap 1 and ${swap2Ms} ms into swap 2; probes: ` +
          `${service.probes.length} sent, ${service.unanswered} unanswered, longest outage ` +
          `${service.outageMs} ms, slowest OFFER ${service.slowestMs} ms`,
      );
    } finally {
      for (const t of tandems) await t.stop();
      for (const d of dhcpds) d.stop();
      await topo.cleanup();
    }
  },
});
