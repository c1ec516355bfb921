/**
 * Real clients through a real relay: client-ns --veth-- router-ns (ISC dhcrelay, giaddr
 * 10.20.0.1 on the client side) --veth-- server-ns (Tandem on 0.0.0.0:67). For each of dhclient,
 * udhcpc and dhcpcd: obtain a lease from the relayed pool, renew it, release it, asserting on
 * what the client saw and on Tandem's lease store.
 *
 * Run: scripts/deno test --allow-all tests/e2e/relay_clients_test.ts
 * (root; TDM_E2E_SERVER=kea runs the same test against Kea to check the harness.)
 */
import { e2eSkipReason, Topology } from "../helpers/netns.ts";
import type { ServerSpec } from "../helpers/tandem_process.ts";
import {
  CLIENT_KINDS,
  CLIENT_TOOLS,
  lifecycle,
  RealClient,
  serverUnderTest,
} from "./real_clients.ts";

const skip = e2eSkipReason([...CLIENT_TOOLS, "dhcrelay"]);
const RELAYED_POOL = "10.20.0.100-10.20.0.200";

const SPEC: ServerSpec = {
  serverId: "10.10.0.2",
  iface: "veth-s",
  subnets: [
    { cidr: "10.20.0.0/24", routers: ["10.20.0.1"], pools: [RELAYED_POOL] },
    { cidr: "10.10.0.0/24", direct: true, pools: ["10.10.0.100-10.10.0.150"] },
  ],
};

async function relayTopology(topo: Topology, mac: string) {
  const c = await topo.addNs("c");
  const r = await topo.addNs("r");
  const s = await topo.addNs("s");
  await topo.link({ ns: c, ifname: "veth-c", mac }, {
    ns: r,
    ifname: "veth-rc",
    cidr: "10.20.0.1/24",
  });
  await topo.link({ ns: r, ifname: "veth-rs", cidr: "10.10.0.1/24" }, {
    ns: s,
    ifname: "veth-s",
    cidr: "10.10.0.2/24",
  });
  await topo.sysctl(r, "net.ipv4.ip_forward", "1");
  // Unicast renewals go client -> router -> server and back; no default routes anywhere.
  await topo.route(c, "10.10.0.0/24", "via", "10.20.0.1", "dev", "veth-c", "onlink");
  await topo.route(s, "10.20.0.0/24", "via", "10.10.0.1");
  topo.spawn(r, [
    "dhcrelay",
    "-4",
    "-d",
    "-pf",
    `${topo.tmpDir}/dhcrelay.pid`,
    "-id",
    "veth-rc",
    "-iu",
    "veth-rs",
    "10.10.0.2",
  ]);
  return { c, r, s };
}

CLIENT_KINDS.forEach((kind, i) => {
  Deno.test({
    name: `relay: ${kind} obtains, renews and releases a lease through dhcrelay`,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const topo = await Topology.create(`r${i}`);
      const mac = `02:00:5e:20:00:0${i + 1}`;
      let server;
      try {
        const { c, s } = await relayTopology(topo, mac);
        server = serverUnderTest(topo, s, SPEC);
        await server.start();
        await lifecycle(
          server,
          new RealClient(kind, topo, c, "veth-c", "10.10.0.0/24 via 10.20.0.1"),
          mac,
          RELAYED_POOL,
        );
      } catch (e) {
        if (server) {
          console.error(`--- ${server.name} log ---\n${(await server.log()).slice(-4000)}`);
        }
        throw e;
      } finally {
        await server?.stop();
        await topo.cleanup();
      }
    },
  });
});
