/**
 * Kea 2.2 `kea-dhcp4` (memfile, persist: true) behind the same DhcpServer shape as
 * tests/helpers/tandem_process.ts. Used to prove the e2e harness against a reference server
 * (TDM_E2E_SERVER=kea) and mirrored by scripts/bench_lib/kea-dhcp4.json.in for scripts/bench.
 */
import { type Spawned, type Topology, waitFor, withTimeout } from "../../tests/helpers/netns.ts";
import {
  type DhcpServer,
  type LeaseRow,
  normalizeMac,
  type ServerSpec,
} from "../../tests/helpers/tandem_process.ts";

/** Kea's JSON config for spec; raw sockets so directly attached clients without an address work. */
export function keaConfig(spec: ServerSpec, dir: string): unknown {
  return {
    Dhcp4: {
      "interfaces-config": { interfaces: [spec.iface], "dhcp-socket-type": "raw" },
      "lease-database": {
        type: "memfile",
        persist: true,
        name: `${dir}/kea-leases4.csv`,
        "lfc-interval": 0,
      },
      "valid-lifetime": spec.leaseSec ?? 3600,
      authoritative: true,
      "option-data": [{ name: "domain-name-servers", data: "10.10.0.53" }],
      subnet4: spec.subnets.map((s, i) => ({
        id: i + 1,
        subnet: s.cidr,
        pools: s.pools.map((p) => ({ pool: p })),
        "option-data": s.routers ? [{ name: "routers", data: s.routers.join(",") }] : [],
      })),
      loggers: [{
        name: "kea-dhcp4",
        output_options: [{ output: `${dir}/kea.log` }],
        severity: "INFO",
      }],
    },
  };
}

/** Kea memfile CSV -> rows; the last line for an address wins (the file is a journal). */
export function parseKeaCsv(text: string): LeaseRow[] {
  const byIp = new Map<string, LeaseRow>();
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (const line of lines.slice(1)) {
    const [ip = "", hw = "", clientId = "", valid = "0", expire = "0", , , , , state = "0"] = line
      .split(",");
    const validSec = Number(valid);
    const endSec = Number(expire);
    // A deleted lease (release) is journalled with valid_lifetime 0.
    const name = validSec === 0
      ? "released"
      : state === "2"
      ? "expired"
      : state === "1"
      ? "abandoned"
      : "active";
    byIp.set(ip, {
      ip,
      state: name,
      hwAddr: normalizeMac(hw),
      clientKey: clientId || normalizeMac(hw),
      endSec,
      clttSec: endSec - validSec,
    });
  }
  return [...byIp.values()];
}

export class KeaProcess implements DhcpServer {
  readonly name = "kea";
  readonly dir: string;
  #proc: Spawned | undefined;

  constructor(readonly topo: Topology, readonly ns: string, readonly spec: ServerSpec) {
    this.dir = `${topo.tmpDir}/kea`;
  }

  pid(): number {
    if (!this.#proc) throw new Error("kea not started");
    return this.#proc.pid;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    const conf = `${this.dir}/kea-dhcp4.json`;
    await Deno.writeTextFile(conf, JSON.stringify(keaConfig(this.spec, this.dir), null, 1));
    const logFile = `${this.dir}/kea.log`;
    const before = (await Deno.readTextFile(logFile).catch(() => "")).length;
    const proc = this.topo.spawn(this.ns, ["kea-dhcp4", "-c", conf], {
      env: { KEA_PIDFILE_DIR: this.dir, KEA_LOCKFILE_DIR: this.dir },
    });
    this.#proc = proc;
    await waitFor("kea DHCP4_STARTED", async () => {
      if (proc.exited()) throw new Error(`kea exited: ${await this.log()}`);
      const log = await Deno.readTextFile(logFile).catch(() => "");
      return log.slice(before).includes("DHCP4_STARTED") ? true : undefined;
    }, timeoutMs);
  }

  async kill9(): Promise<void> {
    this.#proc?.kill("SIGKILL");
    if (this.#proc) await withTimeout(this.#proc.status, 5000);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    p.kill("SIGTERM");
    if ((await withTimeout(p.status, 5000)) === undefined) p.kill("SIGKILL");
  }

  async leases(): Promise<LeaseRow[]> {
    return parseKeaCsv(await Deno.readTextFile(`${this.dir}/kea-leases4.csv`).catch(() => ""));
  }

  async log(): Promise<string> {
    const a = await Deno.readTextFile(`${this.dir}/kea.log`).catch(() => "");
    const b = this.#proc ? await this.topo.log(this.#proc) : "";
    return a + b;
  }
}
