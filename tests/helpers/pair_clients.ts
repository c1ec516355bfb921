/**
 * The clients and captures of the namespace pair tests (pair_topology.ts builds the network):
 * busybox udhcpc runs that record what they were given, and tshark captures of DHCP traffic.
 */
import { run, type Spawned, type Topology, waitFor, withTimeout } from "./netns.ts";
import type { PairNet } from "./pair_topology.ts";

/** What a udhcpc run recorded through its hook script. */
export interface ClientBound {
  readonly mac: string;
  readonly reason: string;
  readonly ip: string;
  readonly server: string;
  /** Wall-clock ms when the hook ran (date +%s%3N). */
  readonly atMs: number;
  /** Option 6 (domain name servers) as given, comma-separated; "" when none. */
  readonly dns: string;
}

const HOOK = `#!/bin/sh
# udhcpc hook for tests: records what the client saw; never configures anything.
echo "$(date +%s%3N) $1 mac=$TDM_MAC ip=$ip server=$serverid dns=$(echo $dns | tr ' ' ',')" >> "$TDM_EVENTS"
exit 0
`;

/**
 * One busybox udhcpc on its own interface (distinct MAC) in the client namespace: -q exits
 * after the first lease, -n gives up after -t tries (so every run is bounded), no release.
 */
/** A new udhcpc client `index` on its own link, started; resolves once it is bound. */
export async function boundClient(
  net: PairNet,
  index: number,
  tag: number,
  timeoutMs = 30_000,
): Promise<{ c: UdhcpcClient; got: ClientBound }> {
  const c = new UdhcpcClient(net, index, UdhcpcClient.macFor(index, tag));
  await c.prepare();
  await c.start();
  return { c, got: await c.bound(timeoutMs) };
}

export class UdhcpcClient {
  readonly ifname: string;
  readonly events: string;
  #proc: Spawned | undefined;

  constructor(readonly net: PairNet, readonly index: number, readonly mac: string) {
    this.ifname = `c${index}`;
    this.events = `${net.topo.tmpDir}/udhcpc-${index}.events`;
  }

  static macFor(index: number, tag = 0x10): string {
    const h = (n: number) => n.toString(16).padStart(2, "0");
    return `02:00:5e:${h(tag)}:${h((index >> 8) & 255)}:${h(index & 255)}`;
  }

  async prepare(): Promise<void> {
    await this.net.addClientLink(this.ifname, this.mac);
  }

  /** Starts the client (prepare() first); returns at once. */
  async start(): Promise<void> {
    const script = `${this.net.topo.tmpDir}/udhcpc-hook.sh`;
    try {
      await Deno.stat(script);
    } catch {
      await this.net.topo.writeScript("udhcpc-hook.sh", HOOK);
    }
    this.#proc = this.net.topo.spawn(this.net.c, [
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-i",
      this.ifname,
      "-s",
      script,
      "-t",
      "15",
      "-T",
      "1",
      "-A",
      "1",
    ], { env: { TDM_EVENTS: this.events, TDM_MAC: this.mac } });
  }

  async seen(): Promise<ClientBound[]> {
    const text = await Deno.readTextFile(this.events).catch(() => "");
    return text.split("\n").filter((l) => l !== "").map((l) => {
      const m = l.match(/^(\d+) (\S+) mac=(\S*) ip=(\S*) server=(\S*)(?: dns=(\S*))?/);
      return {
        atMs: Number(m?.[1] ?? 0),
        reason: m?.[2] ?? "",
        mac: m?.[3] ?? "",
        ip: m?.[4] ?? "",
        server: m?.[5] ?? "",
        dns: m?.[6] ?? "",
      };
    });
  }

  /** Waits for the "bound" event. */
  async bound(timeoutMs = 20_000): Promise<ClientBound> {
    return await waitFor(
      `udhcpc ${this.mac} bound`,
      async () => {
        return (await this.seen()).find((e) => e.reason === "bound");
      },
      timeoutMs,
      20,
    ).catch(async (e) => {
      const log = this.#proc ? await this.net.topo.log(this.#proc) : "";
      throw new Error(`${e}\n${JSON.stringify(await this.seen())}\n${log}`);
    });
  }

  kill(): void {
    this.#proc?.kill("SIGKILL");
  }
}

/** One DHCP message seen by a capture. */
export interface CapturedDhcp {
  readonly atMs: number;
  readonly src: string;
  readonly type: number;
  /** Lowercase, colon-separated. */
  readonly mac: string;
  readonly yiaddr: string;
}

/** A tshark capture into a pcap file inside a namespace (or the current one with ns undefined). */
export class Capture {
  #proc: Spawned | Deno.ChildProcess | undefined;
  readonly logPath: string;

  constructor(
    readonly topo: Topology,
    readonly ns: string | undefined,
    readonly iface: string,
    readonly filter: string,
    readonly pcap: string,
  ) {
    this.logPath = `${pcap}.log`;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    // tshark refuses to write into a directory it cannot chown; the temp dir is ours (root).
    const argv = ["tshark", "-n", "-q", "-i", this.iface, "-f", this.filter, "-w", this.pcap];
    if (this.ns !== undefined) {
      const p = this.topo.spawn(this.ns, argv);
      this.#proc = p;
      await waitFor(
        `tshark on ${this.iface} capturing`,
        async () => {
          const log = await this.topo.log(p);
          if (p.exited()) throw new Error(`tshark exited: ${log}`);
          return log.includes("Capturing on") ? true : undefined;
        },
        timeoutMs,
        50,
      );
    } else {
      const child = new Deno.Command("sh", {
        args: ["-c", 'exec "$@" >>"$TDM_LOG" 2>&1', "sh", ...argv],
        env: { TDM_LOG: this.logPath },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.#proc = child;
      let done = false;
      child.status.then(() => done = true);
      await waitFor(
        `tshark on ${this.iface} capturing`,
        async () => {
          const log = await Deno.readTextFile(this.logPath).catch(() => "");
          if (done) throw new Error(`tshark exited: ${log}`);
          return log.includes("Capturing on") ? true : undefined;
        },
        timeoutMs,
        50,
      );
    }
    // "Capturing on" is printed just before the capture loop; give dumpcap a beat.
    await new Promise((r) => setTimeout(r, 200));
  }

  /** SIGINT (tshark flushes and closes the file), bounded. */
  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    try {
      p.kill("SIGINT");
    } catch { /* gone */ }
    if ((await withTimeout(p.status, 5000)) === undefined) {
      try {
        p.kill("SIGKILL");
      } catch { /* gone */ }
      await withTimeout(p.status, 2000);
    }
  }

  async log(): Promise<string> {
    return await Deno.readTextFile(this.logPath).catch(() => "");
  }

  /** DHCP messages in the capture (all types), in capture order. */
  async dhcp(): Promise<CapturedDhcp[]> {
    const r = await run([
      "tshark",
      "-n",
      "-r",
      this.pcap,
      "-Y",
      "dhcp",
      "-T",
      "fields",
      "-E",
      "separator=/t",
      "-E",
      "occurrence=f",
      "-e",
      "frame.time_epoch",
      "-e",
      "ip.src",
      "-e",
      "dhcp.option.dhcp",
      "-e",
      "dhcp.hw.mac_addr",
      "-e",
      "dhcp.ip.your",
    ], { timeoutMs: 30_000 });
    return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => {
      const [t = "0", src = "", type = "0", mac = "", yi = ""] = l.split("\t");
      return {
        atMs: Math.round(Number(t) * 1000),
        src,
        type: Number(type),
        mac: mac.toLowerCase(),
        yiaddr: yi,
      };
    });
  }
}

export const DHCPACK = 5;
