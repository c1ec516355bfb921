/**
 * Starts and stops a real Tandem server (scripts/tandem run, the production permission flags)
 * inside a test namespace, with a generated TOML config; waits for HTTP /readyz; lists leases
 * through `scripts/tandem leases --json`. The same DhcpServer shape is implemented for Kea in
 * scripts/bench_lib/kea_process.ts so the e2e harness can be checked against a reference server.
 */
import { run, type Spawned, type Topology, waitFor, withTimeout } from "./netns.ts";

export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
export const TANDEM_BIN = `${REPO_ROOT}/scripts/tandem`;

/** One lease as the server's store reports it, normalised for assertions. */
export interface LeaseRow {
  readonly ip: string;
  readonly state: string;
  /** Lowercase hex, no separators. */
  readonly hwAddr: string;
  readonly clientKey: string;
  readonly endSec: number;
  readonly clttSec: number;
}

/** What e2e tests need from a DHCP server under test. */
export interface DhcpServer {
  readonly name: string;
  pid(): number;
  start(): Promise<void>;
  /** SIGKILL, no chance to flush anything. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  leases(): Promise<LeaseRow[]>;
  /** The server's output so far (for failure messages). */
  log(): Promise<string>;
}

export interface SubnetSpec {
  readonly cidr: string;
  readonly direct?: boolean;
  readonly routers?: readonly string[];
  /** "first-last" ranges. */
  readonly pools: readonly string[];
}

export interface ServerSpec {
  /** The server's address on its own segment (server identifier). */
  readonly serverId: string;
  /** Interface of the directly attached segment inside the server namespace. */
  readonly iface: string;
  readonly subnets: readonly SubnetSpec[];
  readonly leaseSec?: number;
  readonly httpPort?: number;
  readonly logLevel?: "debug" | "info" | "warning" | "error";
  /** Where broadcast replies to the direct segment go (default 255.255.255.255). */
  readonly broadcastAddress?: string;
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => `[${xs.map(q).join(", ")}]`;

/** Tandem's TOML for spec (layout of tandem.example.toml). */
export function tandemToml(spec: ServerSpec, stateDir: string): string {
  const lease = spec.leaseSec ?? 3600;
  const lines = [
    `role = "standalone"`,
    `server_id = ${q(spec.serverId)}`,
    `authoritative = true`,
    ``,
    `[dhcp]`,
    `listen_address = "0.0.0.0"`,
    `port = 67`,
    `client_port = 68`,
    `interface = ${q(spec.iface)}`,
    spec.broadcastAddress === undefined ? "" : `broadcast_address = ${q(spec.broadcastAddress)}`,
    ``,
    `[lease]`,
    `default_sec = ${lease}`,
    `min_sec = ${Math.min(60, lease)}`,
    `max_sec = ${Math.max(86400, lease)}`,
    ``,
    `[http]`,
    `listen = "127.0.0.1:${spec.httpPort ?? 18067}"`,
    ``,
    `[store]`,
    `state_dir = ${q(stateDir)}`,
    ``,
    `[log]`,
    `level = ${q(spec.logLevel ?? "info")}`,
    ``,
    `[options]`,
    `domain-name-servers = ["10.10.0.53"]`,
  ];
  for (const s of spec.subnets) {
    lines.push(``, `[[subnet]]`, `cidr = ${q(s.cidr)}`);
    if (s.direct) lines.push(`direct = true`);
    if (s.routers) lines.push(`[subnet.options]`, `routers = ${list(s.routers)}`);
    for (const p of s.pools) lines.push(`[[subnet.pool]]`, `range = ${q(p)}`);
  }
  return lines.join("\n") + "\n";
}

/** Reads VmRSS of a process in KiB (undefined if it is gone). */
export async function rssKb(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function normalizeMac(mac: string): string {
  return mac.toLowerCase().replace(/[^0-9a-f]/g, "");
}

/** Accepts the `leases --json` output as an array or {leases: [...]}; normalises field names. */
export function parseLeaseJson(text: string): LeaseRow[] {
  const data = JSON.parse(text);
  const rows: unknown[] = Array.isArray(data) ? data : (data?.leases ?? []);
  return rows.map((r) => {
    const o = r as Record<string, unknown>;
    const num = (v: unknown) => typeof v === "number" ? v : Number(v ?? 0);
    return {
      ip: String(o.ip ?? o.address ?? ""),
      state: String(o.state ?? ""),
      hwAddr: normalizeMac(String(o.hwAddr ?? o.hw_address ?? o.hw_addr ?? "")),
      clientKey: String(o.clientKey ?? o.client_key ?? ""),
      endSec: num(o.endSec ?? o.end_sec),
      clttSec: num(o.clttSec ?? o.cltt_sec ?? o.cltt),
    };
  });
}

export class TandemProcess implements DhcpServer {
  readonly name = "tandem";
  readonly configPath: string;
  readonly stateDir: string;
  readonly httpPort: number;
  #proc: Spawned | undefined;
  #logs: string[] = [];

  constructor(readonly topo: Topology, readonly ns: string, readonly spec: ServerSpec) {
    this.stateDir = `${topo.tmpDir}/tandem-state`;
    this.configPath = `${topo.tmpDir}/tandem.toml`;
    this.httpPort = spec.httpPort ?? 18067;
  }

  pid(): number {
    if (!this.#proc) throw new Error("tandem not started");
    return this.#proc.pid;
  }

  /** Starts (or restarts, on the same state dir) and waits until /readyz answers 200. */
  async start(timeoutMs = 30_000): Promise<void> {
    await Deno.mkdir(this.stateDir, { recursive: true });
    await Deno.writeTextFile(this.configPath, tandemToml(this.spec, this.stateDir));
    const proc = this.topo.spawn(this.ns, [TANDEM_BIN, "run", "--config", this.configPath]);
    this.#proc = proc;
    this.#logs.push(proc.logPath);
    try {
      await waitFor(
        "tandem /readyz = 200",
        async () => {
          if (proc.exited()) {
            throw new Error(`tandem exited during start-up:\n${await this.topo.log(proc)}`);
          }
          return (await this.httpStatus("/readyz")) === 200 ? true : undefined;
        },
        timeoutMs,
        150,
      );
    } catch (e) {
      proc.kill("SIGKILL");
      throw e;
    }
  }

  /** HTTP status of GET path on the server's HTTP listener (0 when unreachable). */
  async httpStatus(path: string): Promise<number> {
    const r = await this.topo.exec(this.ns, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--max-time",
      "1",
      `http://127.0.0.1:${this.httpPort}${path}`,
    ], { check: false, timeoutMs: 3000 });
    return Number(r.stdout.trim()) || 0;
  }

  /** Body of GET path (throws unless 2xx). */
  async httpGet(path: string): Promise<string> {
    const r = await this.topo.exec(this.ns, [
      "curl",
      "-sf",
      "--max-time",
      "2",
      `http://127.0.0.1:${this.httpPort}${path}`,
    ], { timeoutMs: 4000 });
    return r.stdout;
  }

  /** Sends a signal to the running server (SIGHUP: reload). */
  signal(sig: Deno.Signal): void {
    if (!this.#proc) throw new Error("tandem not started");
    this.#proc.kill(sig);
  }

  /** True once the server process has ended. */
  exited(): boolean {
    return this.#proc?.exited() ?? true;
  }

  async kill9(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    p.kill("SIGKILL");
    await withTimeout(p.status, 5000);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    p.kill("SIGTERM");
    if ((await withTimeout(p.status, 5000)) === undefined) {
      p.kill("SIGKILL");
      await withTimeout(p.status, 3000);
    }
  }

  async leases(): Promise<LeaseRow[]> {
    const r = await run([TANDEM_BIN, "leases", "--json", "--config", this.configPath], {
      timeoutMs: 20_000,
    });
    return parseLeaseJson(r.stdout);
  }

  async rssKb(): Promise<number | undefined> {
    return this.#proc ? await rssKb(this.#proc.pid) : undefined;
  }

  async log(): Promise<string> {
    let text = "";
    for (const path of this.#logs) text += await Deno.readTextFile(path).catch(() => "");
    return text;
  }
}
