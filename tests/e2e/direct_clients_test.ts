/**
 * Real clients on the server's directly attached segment: client-ns --veth-- server-ns (Tandem
 * on 0.0.0.0:67, interface veth-s). For each of dhclient, udhcpc and dhcpcd: obtain a lease from
 * the direct pool (the client has no address yet, so replies are broadcast), renew it (unicast),
 * release it; asserting on what the client saw and on Tandem's lease store.
 *
 * Run: scripts/deno test --allow-all tests/e2e/direct_clients_test.ts
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

const skip = e2eSkipReason(CLIENT_TOOLS);
const DIRECT_POOL = "10.10.0.100-10.10.0.150";

const SPEC: ServerSpec = {
  serverId: "10.10.0.2",
  iface: "veth-s",
  // No broadcast_address: Tandem sends broadcasts to the direct subnet's directed broadcast
  // (10.10.0.255), which its connected route takes out of the right interface; a plain UDP
  // socket cannot pin 255.255.255.255 to an interface. TDM_E2E_BROADCAST overrides it.
  ...(Deno.env.get("TDM_E2E_BROADCAST") === undefined
    ? {}
    : { broadcastAddress: Deno.env.get("TDM_E2E_BROADCAST")! }),
  subnets: [
    { cidr: "10.20.0.0/24", routers: ["10.20.0.1"], pools: ["10.20.0.100-10.20.0.200"] },
    { cidr: "10.10.0.0/24", direct: true, routers: ["10.10.0.1"], pools: [DIRECT_POOL] },
  ],
};

CLIENT_KINDS.forEach((kind, i) => {
  Deno.test({
    name: `direct: ${kind} obtains, renews and releases a lease on the server's segment`,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const topo = await Topology.create(`d${i}`);
      const mac = `02:00:5e:10:00:0${i + 1}`;
      let server;
      try {
        const c = await topo.addNs("c");
        const s = await topo.addNs("s");
        await topo.link({ ns: c, ifname: "veth-c", mac }, {
          ns: s,
          ifname: "veth-s",
          cidr: "10.10.0.2/24",
        });
        server = serverUnderTest(topo, s, SPEC);
        await server.start();
        await lifecycle(server, new RealClient(kind, topo, c, "veth-c"), mac, DIRECT_POOL);
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
