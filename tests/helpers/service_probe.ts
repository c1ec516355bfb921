/**
 * "Is a new client served right now?", asked four times a second through a swap, a kill or a
 * handover: a probe namespace hangs off the pair's router as a second relay agent (giaddr
 * 10.20.0.9, inside the relayed subnet, routed by a host route) with both boxes as its helpers,
 * and runs tests/helpers/dhcp_prober.ts. The outage is the longest time during which no probe
 * got an OFFER within its wait.
 */
import type { PairNet } from "./pair_topology.ts";
import { GIADDR, LAN } from "./pair_topology.ts";
import { REPO_ROOT } from "./tandem_process.ts";
import { run } from "./netns.ts";

export const PROBE_GIADDR = "10.20.0.9";

const probeNamespaces = new Set<string>();
let probeRuns = 0;

export interface Probe {
  readonly t: number;
  readonly offerMs: number | null;
  readonly server: string | null;
}

export interface ProbeResult {
  readonly probes: readonly Probe[];
  /** Probes that got no OFFER within the wait. */
  readonly unanswered: number;
  /** The longest span from a probe left unanswered to the next answered probe, in ms (0: none). */
  readonly outageMs: number;
  /** The slowest OFFER among answered probes, in ms. */
  readonly slowestMs: number;
}

export interface ServiceProbe {
  /** Stops probing and summarises the probes sent since `sinceMs` (epoch ms; all by default). */
  stop(sinceMs?: number): Promise<ProbeResult>;
}

/** Summarises probes (exported for its unit test). */
export function summarise(probes: readonly Probe[], everyMs: number): ProbeResult {
  const sorted = [...probes].sort((a, b) => a.t - b.t);
  let outageMs = 0, slowestMs = 0, unanswered = 0;
  let firstMiss: number | undefined;
  for (const p of sorted) {
    if (p.offerMs === null) {
      unanswered++;
      firstMiss ??= p.t;
      continue;
    }
    slowestMs = Math.max(slowestMs, p.offerMs);
    if (firstMiss !== undefined) outageMs = Math.max(outageMs, p.t - firstMiss);
    firstMiss = undefined;
  }
  // Unanswered to the end: at least one probe period per miss.
  const last = sorted.at(-1);
  if (firstMiss !== undefined && last !== undefined) {
    outageMs = Math.max(outageMs, last.t - firstMiss + everyMs);
  }
  return { probes: sorted, unanswered, outageMs, slowestMs };
}

/**
 * Adds the probe namespace to `net` (once) and starts probing `servers` (default: both boxes,
 * as a router with both helper addresses; one box for a relay that lacks its second helper).
 */
export async function startServiceProbe(
  net: PairNet,
  everyMs = 250,
  servers: readonly string[] = [LAN.primary, LAN.secondary],
): Promise<ServiceProbe> {
  const topo = net.topo;
  const q = `${topo.prefix}-q`;
  if (!probeNamespaces.has(q)) {
    probeNamespaces.add(q);
    await topo.addNs("q");
    await topo.link({ ns: q, ifname: "q0", cidr: `${PROBE_GIADDR}/32` }, {
      ns: net.r,
      ifname: "rq",
    });
    await topo.route(net.r, `${PROBE_GIADDR}/32`, "dev", "rq");
    await run([
      "ip",
      "-n",
      q,
      "route",
      "add",
      "10.30.0.0/24",
      "via",
      GIADDR,
      "dev",
      "q0",
      "onlink",
    ]);
  }
  const out = `${topo.tmpDir}/probes-${++probeRuns}.jsonl`;
  const proc = topo.spawn(q, [
    `${REPO_ROOT}/scripts/deno`,
    "run",
    "--allow-net",
    "--allow-write",
    "--allow-read",
    `${REPO_ROOT}/tests/helpers/dhcp_prober.ts`,
    `--giaddr=${PROBE_GIADDR}`,
    ...servers.map((s) => `--server=${s}`),
    `--every-ms=${everyMs}`,
    `--out=${out}`,
  ]);
  return {
    async stop(sinceMs = 0) {
      // Let the last probes be decided (their wait is 1 s) before stopping.
      await new Promise((r) => setTimeout(r, 1200));
      proc.kill("SIGKILL");
      await proc.status;
      let text = "";
      try {
        text = await Deno.readTextFile(out);
      } catch { /* no probe decided */ }
      const probes = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Probe)
        .filter((p) => p.t >= sinceMs);
      if (probes.length === 0) {
        throw new Error(`the service prober decided no probe:\n${await topo.log(proc)}`);
      }
      return summarise(probes, everyMs);
    },
  };
}
