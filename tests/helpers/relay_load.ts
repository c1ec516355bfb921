/**
 * The single-server load topology of the e2e tests: a relay namespace (10.10.0.1 towards the
 * server, giaddr 10.20.0.1) linked to a server namespace (10.10.0.2), and the relay-agent load
 * client (dhcp_load_client.ts) that runs DORA for many clients and records every ACK.
 */
import { type Spawned, Topology } from "./netns.ts";
import { REPO_ROOT, type ServerSpec } from "./tandem_process.ts";

/** A server in the server namespace: relayed clients from 10.20.0.0/20, a direct segment. */
export const RELAYED_SPEC: ServerSpec = {
  serverId: "10.10.0.2",
  iface: "veth-s",
  broadcastAddress: "10.10.0.255",
  subnets: [
    { cidr: "10.20.0.0/20", routers: ["10.20.0.1"], pools: ["10.20.1.0-10.20.15.254"] },
    { cidr: "10.10.0.0/24", direct: true, pools: ["10.10.0.100-10.10.0.150"] },
  ],
};

/** Creates the relay (r) and server (s) namespaces, linked and routed. */
export async function relayAndServer(topo: Topology): Promise<{ r: string; s: string }> {
  const r = await topo.addNs("r");
  const s = await topo.addNs("s");
  await topo.link({ ns: r, ifname: "veth-r", cidr: "10.10.0.1/24" }, {
    ns: s,
    ifname: "veth-s",
    cidr: "10.10.0.2/24",
  });
  await topo.exec(r, ["ip", "addr", "add", "10.20.0.1/20", "dev", "veth-r"]);
  await topo.route(s, "10.20.0.0/20", "via", "10.10.0.1");
  return { r, s };
}

/** Starts the load client in the relay namespace; its ACKs go to `out`, one JSON line each. */
export function spawnLoadClient(
  topo: Topology,
  ns: string,
  opts: { clients: number; window: number; seconds: number; out: string },
): Spawned {
  return topo.spawn(ns, [
    `${REPO_ROOT}/scripts/deno`,
    "run",
    "--unstable-net",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    `${REPO_ROOT}/tests/helpers/dhcp_load_client.ts`,
    "--server=10.10.0.2",
    "--giaddr=10.20.0.1",
    `--clients=${opts.clients}`,
    `--window=${opts.window}`,
    `--seconds=${opts.seconds}`,
    `--out=${opts.out}`,
  ]);
}
