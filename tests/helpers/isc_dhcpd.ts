/**
 * ISC dhcpd 4.4 (Debian isc-dhcp-server) as a failover partner in a test namespace: its
 * config for the pair topology (pair_topology.ts), the process, and its lease file read back.
 */
import { type Spawned, type Topology } from "./netns.ts";
import { FAILOVER_LINK, FAILOVER_PORT, GIADDR, type PairRole } from "./pair_topology.ts";

export interface DhcpdLease {
  readonly ip: string;
  readonly state: string;
  readonly mac: string;
}

/** dhcpd.conf for one box of the pair: the relayed /24 with its pool under failover. */
export function dhcpdConf(role: PairRole, opts: { mcltSec: number; split?: number }): string {
  const other: PairRole = role === "primary" ? "secondary" : "primary";
  const primaryOnly = role === "primary"
    ? `  mclt ${opts.mcltSec};\n  split ${opts.split ?? 256};\n`
    : "";
  // ping-check off: dhcpd's own ping before a first OFFER would add its 1 s ping-timeout to
  // every new client, before and after any swap, and hide what the service probe measures.
  return `authoritative;
ddns-update-style none;
ping-check false;
default-lease-time 3600;
max-lease-time 86400;
failover peer "tandem" {
  ${role};
  address ${FAILOVER_LINK[role]};
  port ${FAILOVER_PORT};
  peer address ${FAILOVER_LINK[other]};
  peer port ${FAILOVER_PORT};
  max-response-delay 10;
  max-unacked-updates 10;
  load balance max seconds 3;
${primaryOnly}}
subnet 10.40.0.0 netmask 255.255.255.0 { }
subnet 10.30.0.0 netmask 255.255.255.0 { }
subnet 10.20.0.0 netmask 255.255.255.0 {
  option routers ${GIADDR};
  pool {
    failover peer "tandem";
    range 10.20.0.100 10.20.0.250;
  }
}
`;
}

export class IscDhcpd {
  readonly conf: string;
  readonly leaseFile: string;
  #proc: Spawned | undefined;

  constructor(readonly topo: Topology, readonly ns: string, readonly role: PairRole) {
    this.conf = `${topo.tmpDir}/dhcpd-${role}.conf`;
    this.leaseFile = `${topo.tmpDir}/dhcpd-${role}.leases`;
  }

  async start(conf: string): Promise<void> {
    await Deno.writeTextFile(this.conf, conf);
    await Deno.writeTextFile(this.leaseFile, "", { append: true });
    this.#proc = this.topo.spawn(this.ns, [
      "dhcpd",
      "-4",
      "-f",
      "-d",
      "-cf",
      this.conf,
      "-lf",
      this.leaseFile,
      "-pf",
      `${this.topo.tmpDir}/dhcpd-${this.role}.pid`,
      "lan0",
    ]);
  }

  exited(): boolean {
    return this.#proc?.exited() ?? true;
  }

  async log(): Promise<string> {
    return this.#proc === undefined ? "" : await this.topo.log(this.#proc);
  }

  stop(): void {
    this.#proc?.kill("SIGTERM");
  }

  /** SIGTERM, then waits until the process has gone (a replacement needs its port). */
  async stopAndWait(): Promise<void> {
    this.#proc?.kill("SIGTERM");
    await this.#proc?.status;
  }

  kill9(): void {
    this.#proc?.kill("SIGKILL");
  }

  /** The latest record of each address in dhcpd's lease file. */
  async leases(): Promise<Map<string, DhcpdLease>> {
    const text = await Deno.readTextFile(this.leaseFile).catch(() => "");
    const out = new Map<string, DhcpdLease>();
    for (const m of text.matchAll(/lease (\d+\.\d+\.\d+\.\d+) \{([^}]*)\}/g)) {
      const body = m[2] ?? "";
      const state = /^\s*binding state (\w+);/m.exec(body)?.[1] ?? "";
      const mac = /hardware ethernet ([0-9a-f:]+);/.exec(body)?.[1] ?? "";
      out.set(m[1]!, { ip: m[1]!, state, mac });
    }
    return out;
  }
}
