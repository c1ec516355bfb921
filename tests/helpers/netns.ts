/**
 * Network-namespace topologies for end-to-end tests. Every namespace, process and temp file a
 * Topology creates is removed by cleanup(), which tests call from `finally`. Traffic never leaves
 * the namespaces: no default routes, no links to the host's interfaces.
 *
 * Names: namespaces are `tdm<pid>-<tag>-<name>` so parallel runs and stale leftovers never
 * collide; interface names live inside their namespace and can stay short and fixed.
 */

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Hard bound; the command is SIGTERMed, then SIGKILLed 2 s later. Default 20 s. */
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
  /** Throw when the exit code is not 0 (default true). */
  readonly check?: boolean;
}

/** A process started in a namespace; output goes to `logPath`. */
export interface Spawned {
  readonly pid: number;
  readonly logPath: string;
  readonly status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): void;
  /** True once the process has exited. */
  exited(): boolean;
}

const decoder = new TextDecoder();

/** Runs a command in the current namespace with a hard timeout. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const secs = Math.max(1, Math.ceil((opts.timeoutMs ?? 20_000) / 1000));
  const out = await new Deno.Command("timeout", {
    args: ["-k", "2", String(secs), ...argv],
    env: opts.env ?? {},
    stdin: "null",
  }).output();
  const res = {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
  if ((opts.check ?? true) && res.code !== 0) {
    const why = res.code === 124 ? `timed out after ${secs}s` : `exit ${res.code}`;
    throw new Error(`${argv.join(" ")}: ${why}\n${res.stderr}${res.stdout}`.trimEnd());
  }
  return res;
}

/** Whether a program is on PATH (or an absolute path that exists). */
export function haveTool(name: string): boolean {
  const dirs = name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
  for (const dir of dirs) {
    try {
      const st = Deno.statSync(dir ? `${dir}/${name}` : name);
      if (st.isFile) return true;
    } catch { /* not here */ }
  }
  for (const dir of ["/usr/sbin", "/sbin"]) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/**
 * Why e2e tests cannot run here, or undefined when they can. Prints the reason loudly once per
 * test file so a skip is never silent; tests pass it to Deno.test's `ignore`.
 */
export function e2eSkipReason(tools: readonly string[]): string | undefined {
  let reason: string | undefined;
  if (Deno.build.os !== "linux") reason = "not Linux";
  else if (Deno.uid() !== 0) reason = "not root (network namespaces need CAP_NET_ADMIN)";
  else {
    const missing = ["ip", "timeout", "nsenter", "unshare", ...tools].filter((t) => !haveTool(t));
    if (missing.length > 0) {
      reason = `missing tools: ${missing.join(", ")} (run .ci/install-packages as root)`;
    }
  }
  if (reason !== undefined) {
    console.error(`\n*** SKIPPING e2e tests in ${Deno.mainModule}: ${reason} ***\n`);
  }
  return reason;
}

let topologyCounter = 0;

export class Topology {
  readonly prefix: string;
  readonly tmpDir: string;
  readonly #namespaces: string[] = [];
  readonly #spawned: Spawned[] = [];
  #closed = false;

  private constructor(prefix: string, tmpDir: string) {
    this.prefix = prefix;
    this.tmpDir = tmpDir;
  }

  /** A new, empty topology with its own temp dir. `tag` keeps names readable in `ip netns`. */
  static async create(tag: string): Promise<Topology> {
    topologyCounter += 1;
    const prefix = `tdm${Deno.pid}-${tag}${topologyCounter}`;
    const tmpDir = await Deno.makeTempDir({ prefix: `${prefix}-` });
    return new Topology(prefix, tmpDir);
  }

  /** Creates namespace `<prefix>-<name>` with loopback up; returns its full name. */
  async addNs(name: string): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    await run(["ip", "netns", "add", ns]);
    this.#namespaces.push(ns);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair, one end in each namespace, both up. Optional addresses in CIDR form. */
  async link(
    a: { ns: string; ifname: string; cidr?: string; mac?: string },
    b: { ns: string; ifname: string; cidr?: string; mac?: string },
  ): Promise<void> {
    await run([
      "ip",
      "link",
      "add",
      a.ifname,
      "netns",
      a.ns,
      ...(a.mac ? ["address", a.mac] : []),
      "type",
      "veth",
      "peer",
      "name",
      b.ifname,
      "netns",
      b.ns,
      ...(b.mac ? ["address", b.mac] : []),
    ]);
    for (const end of [a, b]) {
      if (end.cidr) await run(["ip", "-n", end.ns, "addr", "add", end.cidr, "dev", end.ifname]);
      await run(["ip", "-n", end.ns, "link", "set", end.ifname, "up"]);
    }
    // Carrier comes a moment after "up"; servers that bind to the interface need it running.
    for (const end of [a, b]) {
      await waitFor(
        `${end.ns}/${end.ifname} carrier`,
        async () => {
          const r = await run(["ip", "-n", end.ns, "-o", "link", "show", "dev", end.ifname]);
          return /[<,]LOWER_UP[,>]/.test(r.stdout) && !r.stdout.includes("NO-CARRIER")
            ? true
            : undefined;
        },
        5000,
        50,
      );
    }
  }

  /** `ip route add <args>` inside ns. Never pass "default": tests keep traffic contained. */
  async route(ns: string, ...args: string[]): Promise<void> {
    if (args.includes("default") || args.includes("0.0.0.0/0")) {
      throw new Error("Topology.route: default routes are not allowed in tests");
    }
    await run(["ip", "-n", ns, "route", "add", ...args]);
  }

  /** Sets a sysctl inside ns, e.g. ("net.ipv4.ip_forward", "1"). */
  async sysctl(ns: string, key: string, value: string): Promise<void> {
    await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", `${key}=${value}`]);
  }

  /** Runs a command inside ns to completion, bounded by a timeout. */
  exec(ns: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(["ip", "netns", "exec", ns, ...argv], opts);
  }

  /**
   * Starts a long-running command inside ns. `ip netns exec` and the `sh -c exec` wrapper both
   * exec, so `pid` is the command's own pid (kill -9 hits it, not a wrapper).
   */
  spawn(ns: string, argv: readonly string[], opts: { env?: Record<string, string> } = {}) {
    const logPath = `${this.tmpDir}/${argv[0]?.split("/").pop()}-${this.#spawned.length}.log`;
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, "sh", "-c", 'exec "$@" >>"$TDM_LOG" 2>&1', "sh", ...argv],
      env: { ...opts.env, TDM_LOG: logPath },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let done = false;
    const status = child.status.then((s) => {
      done = true;
      return s;
    });
    const spawned: Spawned = {
      pid: child.pid,
      logPath,
      status,
      kill: (signal: Deno.Signal = "SIGTERM") => {
        if (!done) {
          try {
            child.kill(signal);
          } catch { /* already gone */ }
        }
      },
      exited: () => done,
    };
    this.#spawned.push(spawned);
    return spawned;
  }

  /** The log of a spawned process (for failure messages). */
  async log(p: Spawned): Promise<string> {
    try {
      return await Deno.readTextFile(p.logPath);
    } catch {
      return "";
    }
  }

  /** Writes an executable file into the temp dir and returns its path. */
  async writeScript(name: string, text: string): Promise<string> {
    const path = `${this.tmpDir}/${name}`;
    await Deno.writeTextFile(path, text, { mode: 0o755 });
    await Deno.chmod(path, 0o755);
    return path;
  }

  /**
   * Kills every process in our namespaces (including daemons that forked away from the ones we
   * spawned), deletes the namespaces and the temp dir. Safe to call twice.
   */
  async cleanup(opts: { keepTmp?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#spawned) p.kill("SIGKILL");
    for (const ns of this.#namespaces) {
      const pids = await run(["ip", "netns", "pids", ns], { check: false });
      for (const pid of pids.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s))) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch { /* gone */ }
      }
    }
    await Promise.all(this.#spawned.map((p) => withTimeout(p.status, 3000)));
    for (const ns of this.#namespaces) {
      await run(["ip", "netns", "del", ns], { check: false });
    }
    if (!opts.keepTmp && Deno.env.get("TDM_KEEP_TMP") !== "1") {
      await Deno.remove(this.tmpDir, { recursive: true }).catch(() => {});
    } else {
      console.error(`kept ${this.tmpDir}`);
    }
  }
}

/** Polls fn every intervalMs until it returns a value other than undefined, or throws on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves to the promise's value, or undefined after ms; never leaves a timer behind. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms));
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
