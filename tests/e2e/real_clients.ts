/**
 * Real DHCP clients (ISC dhclient, busybox udhcpc, dhcpcd) driven inside a test namespace, and
 * the obtain -> renew -> release lifecycle both e2e client tests run. Each client runs with its
 * own hook script, which appends what the CLIENT saw (reason, address, server) to an events
 * file; tests assert on that, then on the server's lease store. Nothing touches the host: lease,
 * pid and config files live in the topology's temp dir, and dhcpcd runs in a private mount
 * namespace with tmpfs over /run and /var/lib/dhcpcd.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type Spawned, type Topology, waitFor } from "../helpers/netns.ts";
import {
  type DhcpServer,
  type LeaseRow,
  normalizeMac,
  type ServerSpec,
  TandemProcess,
} from "../helpers/tandem_process.ts";
import { KeaProcess } from "../../scripts/bench_lib/kea_process.ts";

export type ClientKind = "dhclient" | "udhcpc" | "dhcpcd";
export const CLIENT_KINDS: readonly ClientKind[] = ["dhclient", "udhcpc", "dhcpcd"];
export const CLIENT_TOOLS = ["dhclient", "udhcpc", "dhcpcd", "curl"];

export interface ClientEvent {
  readonly reason: string;
  readonly ip: string;
  readonly server: string;
}

/** Events that mean "I hold a lease now", per client vocabulary. */
const BOUND = new Set(["BOUND", "RENEW", "REBIND", "REBOOT", "bound", "renew"]);

/**
 * The server under test: Tandem, or Kea when TDM_E2E_SERVER=kea (to check this harness itself
 * against a reference server).
 */
export function serverUnderTest(topo: Topology, ns: string, spec: ServerSpec): DhcpServer {
  return Deno.env.get("TDM_E2E_SERVER") === "kea"
    ? new KeaProcess(topo, ns, spec)
    : new TandemProcess(topo, ns, spec);
}

function hookScript(kind: ClientKind, eventsPath: string, serverRoute?: string): string {
  // Each client names its variables differently; all three record the same line format.
  const vars: Record<ClientKind, string> = {
    dhclient:
      `r="$reason"; ip="$new_ip_address"; mask="$new_subnet_mask"; srv="$new_dhcp_server_identifier"; dev="$interface"`,
    udhcpc: `r="$1"; ip="$ip"; mask="$subnet"; srv="$serverid"; dev="$interface"`,
    dhcpcd:
      `r="$reason"; ip="$new_ip_address"; mask=""; srv="$new_dhcp_server_identifier"; dev="$interface"`,
  };
  return `#!/bin/sh
${vars[kind]}
echo "reason=$r ip=$ip server=$srv" >> ${JSON.stringify(eventsPath)}
# dhcpcd configures the interface itself; the other two rely on their script, like the
# distribution scripts do, so that unicast renewals have a source address.
# Removing the last address also removes every route through the device, so the address is
# replaced in place and the route to the server's network (if any) is put back each time.
if [ -n "$mask" ]; then
  case "$r" in
    BOUND|RENEW|REBIND|REBOOT|bound|renew)
      ip addr replace "$ip/$mask" dev "$dev"
      ${serverRoute ? `ip route replace ${serverRoute} dev "$dev" onlink` : ":"} ;;
    RELEASE|EXPIRE|FAIL|STOP|deconfig) ip addr flush dev "$dev" ;;
  esac
fi
[ "$r" = PREINIT ] && ip link set "$dev" up
exit 0
`;
}

/** One real client on interface `ifname` in namespace `ns`. */
export class RealClient {
  readonly dir: string;
  readonly events: string;
  #script = "";
  #daemon: Spawned | undefined;

  constructor(
    readonly kind: ClientKind,
    readonly topo: Topology,
    readonly ns: string,
    readonly ifname: string,
    /** "NET via GW" the client must reach the server through (relayed topologies). */
    readonly serverRoute?: string,
  ) {
    this.dir = `${topo.tmpDir}/${kind}`;
    this.events = `${this.dir}/events`;
  }

  async seen(): Promise<ClientEvent[]> {
    const text = await Deno.readTextFile(this.events).catch(() => "");
    return text.split("\n").filter((l) => l.startsWith("reason=")).map((l) => {
      const m = l.match(/^reason=(\S*) ip=(\S*) server=(\S*)/);
      return { reason: m?.[1] ?? "", ip: m?.[2] ?? "", server: m?.[3] ?? "" };
    });
  }

  /** Waits for the first event after index `from` whose reason is in `reasons`. */
  async #next(from: number, reasons: Set<string>, what: string): Promise<ClientEvent> {
    return await waitFor(`${this.kind}: ${what}`, async () => {
      const evs = (await this.seen()).slice(from);
      return evs.find((e) => reasons.has(e.reason));
    }, 15_000).catch(async (e) => {
      const log = this.#daemon ? await this.topo.log(this.#daemon) : "";
      throw new Error(`${e}\nclient events: ${JSON.stringify(await this.seen())}\n${log}`);
    });
  }

  #dhclientArgs(): string[] {
    return [
      "dhclient",
      "-4",
      "-v",
      "-sf",
      this.#script,
      "-lf",
      `${this.dir}/dhclient.leases`,
      "-pf",
      `${this.dir}/dhclient.pid`,
      "-cf",
      `${this.dir}/dhclient.conf`,
    ];
  }

  async #dhcpcdCtl(flag: string): Promise<void> {
    const pid = this.#daemon?.pid;
    if (pid === undefined) throw new Error("dhcpcd not running");
    // The control socket lives in the daemon's private /run: enter its mount namespace.
    await this.topo.exec(this.ns, [
      "nsenter",
      "-t",
      String(pid),
      "-m",
      "dhcpcd",
      "-4",
      flag,
      this.ifname,
    ], { timeoutMs: 15_000, check: false });
  }

  /** Acquires a lease (DORA); returns what the client recorded. */
  async obtain(): Promise<ClientEvent> {
    await Deno.mkdir(this.dir, { recursive: true });
    this.#script = await this.topo.writeScript(
      `${this.kind}-hook.sh`,
      hookScript(this.kind, this.events, this.serverRoute),
    );
    const from = (await this.seen()).length;
    switch (this.kind) {
      case "dhclient":
        await Deno.writeTextFile(
          `${this.dir}/dhclient.conf`,
          "request subnet-mask, routers, domain-name-servers;\ntimeout 15;\nretry 1;\n",
        );
        // -1: one attempt; returns after BOUND and leaves the daemon running in the namespace.
        await this.topo.exec(this.ns, [...this.#dhclientArgs(), "-1", this.ifname], {
          timeoutMs: 20_000,
        });
        break;
      case "udhcpc":
        this.#daemon = this.topo.spawn(this.ns, [
          "udhcpc",
          "-f",
          "-i",
          this.ifname,
          "-s",
          this.#script,
          "-t",
          "10",
          "-T",
          "1",
          "-A",
          "1",
        ]);
        break;
      case "dhcpcd": {
        const conf = `${this.dir}/dhcpcd.conf`;
        await Deno.writeTextFile(
          conf,
          "ipv4only\nnoipv4ll\nnoarp\nnogateway\noption subnet_mask\n",
        );
        this.#daemon = this.topo.spawn(this.ns, [
          "unshare",
          "-m",
          "--propagation",
          "private",
          "sh",
          "-c",
          "mount -t tmpfs tmpfs /run && mkdir -p /run/dhcpcd && " +
          'mount -t tmpfs tmpfs /var/lib/dhcpcd && exec "$@"',
          "sh",
          "dhcpcd",
          "-f",
          conf,
          "-c",
          this.#script,
          "-4",
          "-B",
          "-t",
          "15",
          this.ifname,
        ]);
        break;
      }
    }
    return await this.#next(from, BOUND, "bound");
  }

  /** Renews the lease the client's own documented way; returns the resulting event. */
  async renew(): Promise<ClientEvent> {
    const from = (await this.seen()).length;
    switch (this.kind) {
      case "dhclient":
        // dhclient(8): -x stops the running client without releasing; a new run finds the
        // lease in the lease file and asks for it again (INIT-REBOOT, reason REBOOT).
        await this.topo.exec(this.ns, [...this.#dhclientArgs(), "-x"], { timeoutMs: 10_000 });
        await this.topo.exec(this.ns, [...this.#dhclientArgs(), "-1", this.ifname], {
          timeoutMs: 20_000,
        });
        break;
      case "udhcpc":
        this.#daemon?.kill("SIGUSR1"); // udhcpc: SIGUSR1 = renew
        break;
      case "dhcpcd":
        await this.#dhcpcdCtl("-N"); // dhcpcd(8): -N, --renew
        break;
    }
    return await this.#next(from, BOUND, "renewed");
  }

  /** Releases the lease (DHCPRELEASE); returns the event the client recorded. */
  async release(): Promise<ClientEvent> {
    const from = (await this.seen()).length;
    switch (this.kind) {
      case "dhclient":
        await this.topo.exec(this.ns, [...this.#dhclientArgs(), "-r", this.ifname], {
          timeoutMs: 10_000,
        });
        return await this.#next(from, new Set(["RELEASE"]), "released");
      case "udhcpc":
        this.#daemon?.kill("SIGUSR2"); // udhcpc: SIGUSR2 = release
        return await this.#next(from, new Set(["deconfig"]), "released");
      case "dhcpcd":
        // dhcpcd(8): -k, --release. Its hook then reports STOP (it logs "releasing lease").
        await this.#dhcpcdCtl("-k");
        return await this.#next(from, new Set(["RELEASE", "STOP"]), "released");
    }
  }
}

export function ipInRange(ip: string, range: string): boolean {
  const n = (s: string) => s.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const [lo = "", hi = ""] = range.split("-");
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && n(ip) >= n(lo) && n(ip) <= n(hi);
}

async function leaseOf(server: DhcpServer, ip: string): Promise<LeaseRow | undefined> {
  return (await server.leases()).find((l) => l.ip === ip);
}

/**
 * obtain -> renew -> release with one real client, asserting on what the client saw and on the
 * server's store after each step.
 */
export async function lifecycle(
  server: DhcpServer,
  client: RealClient,
  mac: string,
  pool: string,
): Promise<void> {
  const want = normalizeMac(mac);
  const got = await client.obtain();
  assert(ipInRange(got.ip, pool), `${client.kind} got ${got.ip}, outside pool ${pool}`);
  const bound = await waitFor(`${server.name}: active lease for ${got.ip}`, async () => {
    const l = await leaseOf(server, got.ip);
    return l?.state === "active" ? l : undefined;
  }, 5000).catch(async (e) => {
    throw new Error(`${e}\nleases: ${JSON.stringify(await server.leases())}`);
  });
  assertEquals(bound.hwAddr, want, `lease for ${got.ip} belongs to ${bound.hwAddr}`);

  // Lease times are whole seconds: let the clock move so a renewal must move them.
  await new Promise((r) => setTimeout(r, 1200));
  const renewed = await client.renew();
  assertEquals(renewed.ip, got.ip, `${client.kind} renewed into a different address`);
  const after = await waitFor(`${server.name}: renewal of ${got.ip} recorded`, async () => {
    const l = await leaseOf(server, got.ip);
    const moved = l && (l.endSec > bound.endSec || l.clttSec > bound.clttSec);
    return moved ? l : undefined;
  }, 5000).catch(async (e) => {
    throw new Error(
      `${e}\nbefore: ${JSON.stringify(bound)}\nnow: ${
        JSON.stringify(await leaseOf(server, got.ip))
      }`,
    );
  });
  assertEquals(after.state, "active");
  assertEquals(after.hwAddr, want);

  await client.release();
  await waitFor(`${server.name}: ${got.ip} released`, async () => {
    const l = await leaseOf(server, got.ip);
    return l?.state === "released" ? true : undefined;
  }, 5000).catch(async (e) => {
    throw new Error(
      `${e}\nnow: ${JSON.stringify(await leaseOf(server, got.ip))}\n${
        JSON.stringify(await client.seen())
      }`,
    );
  });
}
