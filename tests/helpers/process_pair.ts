/**
 * A real pair of `scripts/tandem run` processes on loopback (main.ts with the binary's
 * permission flags), each with its own ports and state directory, for tests that drive them
 * from outside: HTTP status and metrics, `tandem leases`, signals, RSS.
 */
import { freePortBase } from "./ports.ts";
import { RelayClient } from "./udp_relay_client.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface PairOptions {
  readonly relationship: string;
  readonly secret: string;
  /** The subnet's first three octets, e.g. "127.81.0". */
  readonly net: string;
  readonly mcltSec?: number;
  readonly logLevel?: string;
  /** [http] admin_token, for the operator calls (maintenance, partner-down, reload). */
  readonly adminToken?: string;
}

export class ProcessPair {
  readonly ports = (() => {
    const base = freePortBase(6);
    return {
      primary: { dhcp: base, http: base + 1, fo: base + 2 },
      secondary: { dhcp: base + 3, http: base + 4, fo: base + 5 },
    };
  })();
  constructor(readonly dir: string, readonly opts: PairOptions) {}

  box(role: "primary" | "secondary", tlsDir?: string): TandemBox {
    return new TandemBox(this, role, tlsDir);
  }

  toml(role: "primary" | "secondary", tlsDir?: string): string {
    const me = this.ports[role];
    const other = this.ports[role === "primary" ? "secondary" : "primary"];
    const o = this.opts;
    return `role = "${role}"
server_id = "127.0.0.${role === "primary" ? 1 : 2}"
[dhcp]
listen_address = "127.0.0.1"
port = ${me.dhcp}
[http]
listen = "127.0.0.1:${me.http}"
${o.adminToken === undefined ? "" : `admin_token = "${o.adminToken}"`}
[store]
state_dir = "${this.dir}/${role}"
[log]
level = "${o.logLevel ?? "warning"}"
[lease]
max_sec = 86400
[failover]
relationship = "${o.relationship}"
my_address = "127.0.0.1"
my_port = ${me.fo}
partner_address = "127.0.0.1"
partner_port = ${other.fo}
mclt_sec = ${o.mcltSec ?? 60}
shared_secret = "${o.secret}"
${
      tlsDir === undefined ? "" : `[failover.tls]
cert = "${tlsDir}/${role}.crt"
key = "${tlsDir}/${role}.key"
ca = "${tlsDir}/ca.crt"`
    }
[[subnet]]
cidr = "${o.net}.0/24"
[[subnet.pool]]
range = "${o.net}.10-${o.net}.200"
`;
  }
}

export class TandemBox {
  child: Deno.ChildProcess | undefined;
  constructor(
    readonly pair: ProcessPair,
    readonly role: "primary" | "secondary",
    readonly tlsDir?: string,
  ) {}
  get ports() {
    return this.pair.ports[this.role];
  }
  async start(newPair: boolean): Promise<void> {
    const cfg = `${this.pair.dir}/${this.role}.toml`;
    await Deno.writeTextFile(cfg, this.pair.toml(this.role, this.tlsDir));
    this.child = new Deno.Command(`${ROOT}scripts/tandem`, {
      args: ["run", "--config", cfg, ...(newPair ? ["--new-pair"] : [])],
      stdout: "null",
      stderr: "piped",
    }).spawn();
  }
  /** SIGKILL: no chance to say anything. */
  async kill(): Promise<void> {
    if (this.child === undefined) return;
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
    await this.child.stderr.cancel().catch(() => {});
    this.child = undefined;
  }
  /** SIGTERM, and the process's stderr (its log) once it exited. */
  async terminate(): Promise<{ code: number; log: string }> {
    const child = this.child!;
    child.kill("SIGTERM");
    const [status, out] = await Promise.all([child.status, new Response(child.stderr).text()]);
    this.child = undefined;
    return { code: status.code, log: out };
  }
  /** `tandem ARGS --url <this box> --token <admin token>`: exit code and output. */
  async cli(...args: string[]): Promise<{ code: number; out: string }> {
    const out = await new Deno.Command(`${ROOT}scripts/tandem`, {
      args: [
        ...args,
        "--url",
        `http://127.0.0.1:${this.ports.http}`,
        // The operator calls take the admin token; `status` reads only.
        ...(args[0] === "status" ? [] : ["--token", this.pair.opts.adminToken ?? ""]),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
  }
  async get(path: string): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${this.ports.http}${path}`, {
      signal: AbortSignal.timeout(2000),
    });
    return await r.text();
  }
  async state(): Promise<string> {
    const s = JSON.parse(await this.get("/status"));
    return s.failover?.state ?? "?";
  }
  async metric(name: string, label: string): Promise<number> {
    const text = await this.get("/metrics");
    const line = text.split("\n").find((l) => l.startsWith(`${name}{${label}}`));
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  }
  async leases(): Promise<{ ip: string; state: string; hostname?: string }[]> {
    const out = await new Deno.Command(`${ROOT}scripts/tandem`, {
      args: ["leases", "--json", "--db", `${this.pair.dir}/${this.role}/leases.db`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return text === "" ? [] : JSON.parse(text);
  }
  /** RSS in MB (through grep: reading /proc/<pid> needs Deno's --allow-all). */
  async rssMb(): Promise<number> {
    const out = await new Deno.Command("grep", {
      args: ["VmRSS", `/proc/${this.child!.pid}/status`],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    return Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? NaN) / 1024;
  }
}

export async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Starts the secondary, then the primary (a brand-new pair when newPair), until both NORMAL. */
export async function bothNormal(
  a: TandemBox,
  b: TandemBox,
  newPair: boolean,
  ms = 30_000,
): Promise<boolean> {
  await b.start(newPair);
  await a.start(newPair);
  return await waitFor(
    async () => (await a.state()) === "normal" && (await b.state()) === "normal",
    ms,
  );
}

/** A pair brought to NORMAL for a test, with a relay-agent client to each box. */
export interface NormalPair {
  readonly pair: ProcessPair;
  readonly a: TandemBox;
  readonly b: TandemBox;
  /** Relays from `${net}.1` to the primary's and the secondary's DHCP port. */
  readonly toA: RelayClient;
  readonly toB: RelayClient;
}

/**
 * Starts a brand-new pair in its own temp dir, waits for NORMAL, runs `fn`, and always kills
 * both processes, closes the clients and removes the dir.
 */
export async function withNormalPair(
  prefix: string,
  opts: PairOptions,
  fn: (p: NormalPair) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  const pair = new ProcessPair(dir, opts);
  const a = pair.box("primary"), b = pair.box("secondary");
  const toA = new RelayClient(`${opts.net}.1`, pair.ports.primary.dhcp);
  const toB = new RelayClient(`${opts.net}.1`, pair.ports.secondary.dhcp);
  try {
    if (!(await bothNormal(a, b, true))) throw new Error("the pair did not reach NORMAL");
    await fn({ pair, a, b, toA, toB });
  } finally {
    toA.close();
    toB.close();
    await a.kill();
    await b.kill();
    await Deno.remove(dir, { recursive: true });
  }
}
