/**
 * A failover pair in network namespaces, for tests/e2e/pair_test.ts (and the same layout is
 * built by scripts/bench_pair in shell):
 *
 *   <p>-c  clients: one veth per client (own MAC), peers bridged in the router's "brc"
 *      |
 *   <p>-r  router: brc 10.20.0.1/24 (giaddr), ISC dhcrelay -id brc -iu brs 10.30.0.2 10.30.0.3,
 *      |          brs 10.30.0.1/24 = the server LAN bridge, ip_forward on
 *   <p>-p  primary   lan0 10.30.0.2/24, fo0 10.40.0.2/24   (route 10.20.0.0/24 via 10.30.0.1)
 *   <p>-s  secondary lan0 10.30.0.3/24, fo0 10.40.0.3/24   (same route)
 *
 * The failover TCP connection runs over its own veth (fo0, p <-> s), so a partition is one
 * `ip link set fo0 down` and touches neither DHCP path (this box has no iptables/nft). Nothing
 * here has a default route, and the namespaces are deleted by Topology.cleanup().
 */
import { run, type Spawned, type Topology, waitFor, withTimeout } from "./netns.ts";
import { type LeaseRow, parseLeaseJson, TANDEM_BIN } from "./tandem_process.ts";

export const GIADDR = "10.20.0.1";
export const RELAYED_CIDR = "10.20.0.0/24";
export const RELAYED_POOL = "10.20.0.100-10.20.0.250";
export const LAN = { router: "10.30.0.1", primary: "10.30.0.2", secondary: "10.30.0.3" };
export const FAILOVER_LINK = { primary: "10.40.0.2", secondary: "10.40.0.3" };
export const FAILOVER_PORT = 647;
export const HTTP_PORT = 8067;
export const ADMIN_TOKEN = "admin-token-0123456789";

export type PairRole = "primary" | "secondary";

export interface PairOptions {
  readonly mode?: "hot-standby" | "load-balancing";
  readonly mcltSec?: number;
  readonly reservePercent?: number;
  readonly contactIntervalMs?: number;
  readonly receiveTimerMs?: number;
  /** [failover] relay_alarm_sec (default: Tandem's, 300). */
  readonly relayAlarmSec?: number;
  readonly leaseSec?: number;
  readonly pool?: string;
  readonly cidr?: string;
  readonly logLevel?: "debug" | "info" | "warning" | "error";
  /** The partner is ISC dhcpd (legacy-peer mode: partner = "isc-dhcpd", no digest). */
  readonly iscPartner?: boolean;
  /** Joins a pair that exists already (a migration): never started with --new-pair. */
  readonly joinsExistingPair?: boolean;
  /**
   * Both boxes run from one file with two [[box]] tables (pairFileToml), and each finds
   * itself by its namespace's addresses (no --box).
   */
  readonly pairFile?: boolean;
}

export interface PairAddressing {
  readonly serverId: string;
  readonly dhcpListen: string;
  readonly dhcpPort: number;
  readonly clientPort: number;
  readonly httpListen: string;
  readonly myAddress: string;
  readonly myPort: number;
  readonly partnerAddress: string;
  readonly partnerPort: number;
}

/** Tandem's TOML for one box of a pair (layout of tandem.example.toml's [failover] part). */
export function pairToml(
  role: PairRole,
  addr: PairAddressing,
  stateDir: string,
  opts: PairOptions = {},
): string {
  const q = JSON.stringify;
  const lease = opts.leaseSec ?? 3600;
  return `role = ${q(role)}
server_id = ${q(addr.serverId)}
authoritative = true

[dhcp]
listen_address = ${q(addr.dhcpListen)}
port = ${addr.dhcpPort}
client_port = ${addr.clientPort}

[lease]
default_sec = ${lease}
min_sec = ${Math.min(60, lease)}
max_sec = ${Math.max(86400, lease)}

[http]
listen = ${q(addr.httpListen)}
admin_token = ${q(ADMIN_TOKEN)}

[store]
state_dir = ${q(stateDir)}

[log]
level = ${q(opts.logLevel ?? "info")}

[failover]
relationship = "tandem"
my_address = ${q(addr.myAddress)}
my_port = ${addr.myPort}
partner_address = ${q(addr.partnerAddress)}
partner_port = ${addr.partnerPort}
mode = ${q(opts.mode ?? "hot-standby")}
mclt_sec = ${opts.mcltSec ?? 300}
reserve_percent = ${opts.reservePercent ?? 20}
contact_interval_ms = ${opts.contactIntervalMs ?? (opts.iscPartner === true ? 1000 : 200)}
receive_timer_ms = ${opts.receiveTimerMs ?? (opts.iscPartner === true ? 3000 : 800)}
${opts.relayAlarmSec === undefined ? "" : `relay_alarm_sec = ${opts.relayAlarmSec}`}
${
    opts.iscPartner === true
      ? 'partner = "isc-dhcpd"\nauthentication = "none"'
      : 'shared_secret = "0123456789abcdef0123"'
  }

[[subnet]]
cidr = ${q(opts.cidr ?? RELAYED_CIDR)}
[subnet.options]
routers = [${q(GIADDR)}]
[[subnet.pool]]
range = ${q(opts.pool ?? RELAYED_POOL)}
`;
}

/** The box names of pairFileToml. */
export const BOX_NAME: Record<PairRole, string> = { primary: "box-p", secondary: "box-s" };

/**
 * One file for both boxes (issue #12 item 1): pairToml's shared part once, and a [[box]] per
 * role with what differs (role, server id, failover address, HTTP listen, state dir).
 */
export function pairFileToml(stateDirOf: (role: PairRole) => string, opts: PairOptions): string {
  const perBox = /^(role|server_id|my_address|partner_address|listen|state_dir) = /;
  const shared = pairToml("primary", nsAddressing("primary"), "", opts).split("\n")
    .filter((l) => !perBox.test(l)).join("\n");
  const q = JSON.stringify;
  const boxes = (["primary", "secondary"] as const).map((role) => {
    const a = nsAddressing(role);
    return `[[box]]
name = ${q(BOX_NAME[role])}
role = ${q(role)}
server_id = ${q(a.serverId)}
failover_address = ${q(a.myAddress)}
http_listen = ${q(a.httpListen)}
state_dir = ${q(stateDirOf(role))}
`;
  }).join("\n");
  return shared.replace("[dhcp]", `${boxes}\n[dhcp]`);
}

/** Addressing of a box in the namespace topology (DHCP on 0.0.0.0:67, failover on fo0). */
export function nsAddressing(role: PairRole): PairAddressing {
  const other: PairRole = role === "primary" ? "secondary" : "primary";
  return {
    serverId: LAN[role],
    dhcpListen: "0.0.0.0",
    dhcpPort: 67,
    clientPort: 68,
    httpListen: `${LAN[role]}:${HTTP_PORT}`,
    myAddress: FAILOVER_LINK[role],
    myPort: FAILOVER_PORT,
    partnerAddress: FAILOVER_LINK[other],
    partnerPort: FAILOVER_PORT,
  };
}

/** The failover block of GET /status (fields this harness reads). */
export interface FailoverStatus {
  readonly state: string;
  readonly partner_state: string;
  readonly connected: boolean;
  readonly last_contact_age_ms: number;
  readonly unacked_updates: number;
  readonly backlog: number;
  readonly pool: { readonly free: number; readonly backup: number };
  readonly config: { readonly match: boolean };
}

/**
 * One Tandem box of a pair. `ns` undefined = runs in the current namespace (loopback tests);
 * HTTP is then fetched directly, otherwise with curl inside the namespace.
 */
export class PairNode {
  readonly configPath: string;
  readonly stateDir: string;
  #proc: Spawned | Deno.ChildProcess | undefined;
  #exited = true;
  #logs: string[] = [];
  #starts = 0;

  constructor(
    readonly topo: Topology,
    readonly ns: string | undefined,
    readonly role: PairRole,
    readonly addr: PairAddressing,
    readonly opts: PairOptions = {},
  ) {
    this.stateDir = `${topo.tmpDir}/${role}-state`;
    this.configPath = opts.pairFile === true
      ? `${topo.tmpDir}/pair.toml`
      : `${topo.tmpDir}/${role}.toml`;
  }

  /** --box for the CLI commands run from outside the box's namespace (pair file only). */
  get #boxArgs(): string[] {
    return this.opts.pairFile === true ? ["--box", BOX_NAME[this.role]] : [];
  }

  get httpBase(): string {
    return `http://${this.addr.httpListen}`;
  }

  pid(): number {
    if (!this.#proc) throw new Error(`${this.role} not started`);
    return this.#proc.pid;
  }

  running(): boolean {
    return this.#proc !== undefined && !this.#exited;
  }

  /** Starts (or restarts on the same state dir) without waiting; see waitReady(). */
  async spawn(): Promise<void> {
    await Deno.mkdir(this.stateDir, { recursive: true });
    await Deno.writeTextFile(
      this.configPath,
      this.opts.pairFile === true
        ? pairFileToml((role) => `${this.topo.tmpDir}/${role}-state`, this.opts)
        : pairToml(this.role, this.addr, this.stateDir, this.opts),
    );
    this.#starts++;
    // A brand-new pair is commissioned on its first start (--new-pair); later starts are
    // restarts on the same state directory.
    const argv = [TANDEM_BIN, "run", "--config", this.configPath];
    if (this.#starts === 1 && this.opts.joinsExistingPair !== true) argv.push("--new-pair");
    if (this.ns !== undefined) {
      const p = this.topo.spawn(this.ns, argv);
      this.#proc = p;
      this.#exited = false;
      this.#logs.push(p.logPath);
      p.status.then(() => this.#exited = true);
    } else {
      const logPath = `${this.topo.tmpDir}/${this.role}-${this.#starts}.log`;
      this.#logs.push(logPath);
      const child = new Deno.Command("sh", {
        args: ["-c", 'exec "$@" >>"$TDM_LOG" 2>&1', "sh", ...argv],
        env: { TDM_LOG: logPath },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.#proc = child;
      this.#exited = false;
      child.status.then(() => this.#exited = true);
    }
  }

  /** Waits for /readyz = 200 (or for the HTTP listener at least, with `anyAnswer`). */
  async waitReady(timeoutMs = 30_000, anyAnswer = false): Promise<void> {
    await waitFor(
      `${this.role} /readyz`,
      async () => {
        if (!this.running()) {
          throw new Error(`${this.role} exited during start-up:\n${await this.log()}`);
        }
        const code = await this.httpStatus("/readyz");
        return code === 200 || (anyAnswer && code !== 0) ? true : undefined;
      },
      timeoutMs,
      100,
    );
  }

  async start(timeoutMs = 30_000): Promise<void> {
    await this.spawn();
    // A pair member is not "ready" until it may serve; start() only waits for HTTP to answer.
    await this.waitReady(timeoutMs, true);
  }

  async #curl(path: string, maxSec: number): Promise<{ code: number; body: string }> {
    if (this.ns === undefined) {
      const ctl = new AbortController();
      const t = setTimeout(() => ctl.abort(), maxSec * 1000);
      try {
        const r = await fetch(`${this.httpBase}${path}`, { signal: ctl.signal });
        return { code: r.status, body: await r.text() };
      } catch {
        return { code: 0, body: "" };
      } finally {
        clearTimeout(t);
      }
    }
    const r = await this.topo.exec(this.ns, [
      "curl",
      "-s",
      "-w",
      "\n%{http_code}",
      "--max-time",
      String(maxSec),
      `${this.httpBase}${path}`,
    ], { check: false, timeoutMs: (maxSec + 2) * 1000 });
    const i = r.stdout.lastIndexOf("\n");
    return { code: Number(r.stdout.slice(i + 1).trim()) || 0, body: r.stdout.slice(0, i) };
  }

  async httpStatus(path: string): Promise<number> {
    return (await this.#curl(path, 1)).code;
  }

  /** GET /status, or undefined when the box does not answer. */
  async status(): Promise<Record<string, unknown> | undefined> {
    const r = await this.#curl("/status", 1);
    if (r.code !== 200) return undefined;
    try {
      return JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** GET /status's failover block, or undefined when the box does not answer. */
  async failover(): Promise<FailoverStatus | undefined> {
    const r = await this.#curl("/status", 1);
    if (r.code !== 200) return undefined;
    try {
      return (JSON.parse(r.body) as { failover?: FailoverStatus }).failover;
    } catch {
      return undefined;
    }
  }

  async metrics(): Promise<string> {
    return (await this.#curl("/metrics", 1)).body;
  }

  async kill9(): Promise<void> {
    const p = this.#proc;
    if (!p || this.#exited) return;
    p.kill("SIGKILL");
    await withTimeout(p.status, 5000);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || this.#exited) return;
    try {
      p.kill("SIGTERM");
    } catch { /* gone */ }
    if ((await withTimeout(p.status, 5000)) === undefined) {
      try {
        p.kill("SIGKILL");
      } catch { /* gone */ }
      await withTimeout(p.status, 3000);
    }
  }

  async leases(): Promise<LeaseRow[]> {
    const r = await run([
      TANDEM_BIN,
      "leases",
      "--json",
      "--config",
      this.configPath,
      ...this.#boxArgs,
    ], {
      timeoutMs: 20_000,
    });
    return parseLeaseJson(r.stdout);
  }

  async log(): Promise<string> {
    let text = "";
    for (const path of this.#logs) text += await Deno.readTextFile(path).catch(() => "");
    return text;
  }
}

/** Polls both boxes until `pred` holds for both failover blocks; returns the elapsed ms. */
export async function waitStates(
  nodes: readonly PairNode[],
  pred: (f: FailoverStatus, node: PairNode) => boolean,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<number> {
  const t0 = Date.now();
  let last: (FailoverStatus | undefined)[] = [];
  await waitFor(
    what,
    async () => {
      last = await Promise.all(nodes.map((n) => n.failover()));
      return last.every((f, i) => f !== undefined && pred(f, nodes[i]!)) ? true : undefined;
    },
    timeoutMs,
    intervalMs,
  ).catch((e) => {
    throw new Error(
      `${e}\nlast: ${
        JSON.stringify(last.map((f) => f && { state: f.state, partner: f.partner_state }))
      }`,
    );
  });
  return Date.now() - t0;
}

export interface PairNet {
  readonly topo: Topology;
  /** Namespaces: clients, router, primary, secondary. */
  readonly c: string;
  readonly r: string;
  readonly p: string;
  readonly s: string;
  readonly relay: Spawned | undefined;
  /** Adds a client interface `ifname` with `mac` in the client namespace, bridged to brc. */
  addClientLink(ifname: string, mac: string): Promise<void>;
  /** Cuts / heals the failover link (fo0 in the secondary namespace). */
  cutFailover(): Promise<void>;
  healFailover(): Promise<void>;
  /** Takes a box's server-LAN port on the router bridge down or up (relay cannot reach it). */
  setLan(role: PairRole, up: boolean): Promise<void>;
}

/** Builds the namespaces and links above; starts dhcrelay unless `relay` is false. */
export async function buildPairNet(
  topo: Topology,
  opts: { relay?: boolean } = {},
): Promise<PairNet> {
  const c = await topo.addNs("c");
  const r = await topo.addNs("r");
  const p = await topo.addNs("p");
  const s = await topo.addNs("s");
  const ipr = (ns: string, ...args: string[]) => run(["ip", "-n", ns, ...args]);
  for (const br of ["brc", "brs"]) {
    await ipr(r, "link", "add", br, "type", "bridge", "forward_delay", "0", "stp_state", "0");
  }
  await ipr(r, "addr", "add", `${GIADDR}/24`, "dev", "brc");
  await ipr(r, "addr", "add", `${LAN.router}/24`, "dev", "brs");
  for (const br of ["brc", "brs"]) await ipr(r, "link", "set", br, "up");
  await topo.sysctl(r, "net.ipv4.ip_forward", "1");
  for (const [ns, role, port] of [[p, "primary", "rp"], [s, "secondary", "rs"]] as const) {
    await topo.link({ ns, ifname: "lan0", cidr: `${LAN[role]}/24` }, { ns: r, ifname: port });
    await ipr(r, "link", "set", port, "master", "brs");
    await topo.route(ns, RELAYED_CIDR, "via", LAN.router);
  }
  await topo.link(
    { ns: p, ifname: "fo0", cidr: `${FAILOVER_LINK.primary}/24` },
    { ns: s, ifname: "fo0", cidr: `${FAILOVER_LINK.secondary}/24` },
  );
  let relay: Spawned | undefined;
  const net: PairNet = {
    topo,
    c,
    r,
    p,
    s,
    get relay() {
      return relay;
    },
    async addClientLink(ifname: string, mac: string) {
      await topo.link({ ns: c, ifname, mac }, { ns: r, ifname: `r${ifname}` });
      await ipr(r, "link", "set", `r${ifname}`, "master", "brc");
    },
    async cutFailover() {
      await ipr(s, "link", "set", "fo0", "down");
    },
    async healFailover() {
      await ipr(s, "link", "set", "fo0", "up");
    },
    async setLan(role: PairRole, up: boolean) {
      await ipr(r, "link", "set", role === "primary" ? "rp" : "rs", up ? "up" : "down");
    },
  };
  if (opts.relay ?? true) {
    // dhcrelay needs a port on brc to see it running; add a placeholder client link first.
    await net.addClientLink("c0", "02:00:5e:10:00:00");
    relay = topo.spawn(r, [
      "dhcrelay",
      "-4",
      "-d",
      "-pf",
      `${topo.tmpDir}/dhcrelay.pid`,
      "-id",
      "brc",
      "-iu",
      "brs",
      LAN.primary,
      LAN.secondary,
    ]);
  }
  return net;
}

/** Starts both boxes and waits until both report NORMAL with matching configs. */
export async function startPair(
  net: PairNet,
  opts: PairOptions = {},
): Promise<{ primary: PairNode; secondary: PairNode; normalMs: number }> {
  const secondary = new PairNode(net.topo, net.s, "secondary", nsAddressing("secondary"), opts);
  const primary = new PairNode(net.topo, net.p, "primary", nsAddressing("primary"), opts);
  const t0 = Date.now();
  await secondary.spawn();
  await primary.spawn();
  await Promise.all([primary.waitReady(30_000, true), secondary.waitReady(30_000, true)]);
  await waitStates(
    [primary, secondary],
    (f) => f.state === "normal" && f.partner_state === "normal" && f.config.match,
    "both boxes NORMAL",
  );
  return { primary, secondary, normalMs: Date.now() - t0 };
}
