/**
 * Tandem paired with ISC dhcpd 4.4 (issue #11, legacy-peer mode `partner = "isc-dhcpd"`), in
 * network namespaces with dhcrelay pointing at both boxes and real udhcpc clients. For each
 * role of Tandem (primary, secondary) and each mode (hot-standby, load-balancing):
 *
 *   1. both reach NORMAL over the draft's protocol (no digest, the HBA in CONNECT with ISC's
 *      bit meaning, one binding per BNDUPD); the time is printed;
 *   2. a client is served and its lease reaches the other box (Tandem's store, dhcpd's file);
 *   3. the secondary holds BACKUP addresses: dhcpd pushes them, and a Tandem primary gives them
 *      unasked (dhcpd never sends POOLREQ);
 *   4. kill -9 of the primary: the secondary serves a new client from its BACKUP addresses;
 *   5. the primary restarts: both NORMAL again, and the lease made meanwhile is on both;
 *      then the same for the secondary (kill -9: the primary serves alone; restart: NORMAL);
 *   6. no address is active for two clients on either box;
 *   7. tshark's dhcpfo dissector decodes every failover message on the link, with no malformed
 *      frame and no expert warning.
 *
 * Run: scripts/deno test --allow-all tests/e2e/isc_interop_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { e2eSkipReason, run, Topology, waitFor } from "../helpers/netns.ts";
import { normalizeMac } from "../helpers/tandem_process.ts";
import {
  buildPairNet,
  LAN,
  nsAddressing,
  PairNode,
  type PairRole,
  RELAYED_POOL,
} from "../helpers/pair_topology.ts";
import { boundClient, Capture } from "../helpers/pair_clients.ts";
import { dhcpdConf, IscDhcpd } from "../helpers/isc_dhcpd.ts";
import { ipInRange } from "./real_clients.ts";

const skip = e2eSkipReason(["dhcpd", "udhcpc", "dhcrelay", "curl", "bridge", "tshark"]);

/**
 * dhcpfo frames in a capture of port 647; malformed ones and those with an expert warning or
 * worse ("src<TAB>types<TAB>messages"), except the one Wireshark raises for binary option
 * values it shows as text: a client-identifier with a NUL octet is "Trailing stray
 * characters" in dhcpd's own BNDUPDs as in Tandem's, so it is counted per sender, not failed.
 */
async function dissect(
  pcap: string,
): Promise<
  { messages: number; contacts: number; warned: string[]; strayBySender: Record<string, number> }
> {
  const tshark = (filter: string) =>
    run([
      "tshark",
      "-n",
      "-r",
      pcap,
      "-d",
      "tcp.port==647,dhcpfo",
      "-Y",
      filter,
      "-T",
      "fields",
      "-e",
      "ip.src",
      "-e",
      "dhcpfo.type",
      "-e",
      "_ws.expert.message",
    ], { timeoutMs: 30_000 }).then((r) => r.stdout.split("\n").filter((l) => l.trim() !== ""));
  const all = await tshark("dhcpfo");
  const messages = all.length; // frames carrying dhcpfo (a frame may carry several)
  // Both sides' CONTACTs: every third of the advertised receive timer, so a handful.
  const contacts = all.reduce(
    (n, l) => n + (l.split("\t")[1] ?? "").split(",").filter((t) => t === "11").length,
    0,
  );
  const flagged = await tshark(
    "_ws.malformed or (dhcpfo and _ws.expert.severity >= 6291456)",
  );
  const stray = "Trailing stray characters";
  const strayBySender: Record<string, number> = {};
  const warned = flagged.filter((l) => {
    const [src = "", , msgs = ""] = l.split("\t");
    if (msgs.replaceAll(stray, "").replaceAll(",", "").trim() !== "") return true;
    strayBySender[src] = (strayBySender[src] ?? 0) + 1;
    return false;
  });
  return { messages, contacts, warned, strayBySender };
}
type Mode = "hot-standby" | "load-balancing";

/** One server of the mixed pair, seen the same way whichever program it is. */
interface Box {
  readonly role: PairRole;
  /** Active leases: address -> normalized MAC. */
  active(): Promise<Map<string, string>>;
  backups(): Promise<number>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  log(): Promise<string>;
}

function tandemBox(node: PairNode): Box {
  return {
    role: node.role,
    async active() {
      const ls = (await node.leases()).filter((l) => l.state === "active");
      return new Map(ls.map((l) => [l.ip, l.hwAddr]));
    },
    async backups() {
      return (await node.leases()).filter((l) => l.state === "backup").length;
    },
    kill9: () => node.kill9(),
    restart: () => node.spawn(),
    log: () => node.log(),
  };
}

function dhcpdBox(d: IscDhcpd, conf: string): Box {
  return {
    role: d.role,
    async active() {
      const ls = [...(await d.leases()).values()].filter((l) => l.state === "active");
      return new Map(ls.map((l) => [l.ip, normalizeMac(l.mac)]));
    },
    async backups() {
      return [...(await d.leases()).values()].filter((l) => l.state === "backup").length;
    },
    kill9: () => Promise.resolve(d.kill9()),
    restart: () => d.start(conf),
    log: () => d.log(),
  };
}

function interop(tandemRole: PairRole, mode: Mode) {
  const dhcpdRole: PairRole = tandemRole === "primary" ? "secondary" : "primary";
  Deno.test({
    name: `isc interop: Tandem ${tandemRole} + dhcpd ${dhcpdRole}, ${mode}`,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const topo = await Topology.create(tandemRole === "primary" ? "ip" : "is");
      let node: PairNode | undefined;
      let dhcpd: IscDhcpd | undefined;
      let capture: Capture | undefined;
      try {
        const net = await buildPairNet(topo);
        const ns = (role: PairRole) => role === "primary" ? net.p : net.s;
        const pcap = `${topo.tmpDir}/failover.pcap`;
        capture = new Capture(topo, ns(tandemRole), "fo0", "tcp port 647", pcap);
        await capture.start();
        node = new PairNode(topo, ns(tandemRole), tandemRole, nsAddressing(tandemRole), {
          iscPartner: true,
          mcltSec: 60,
          mode,
        });
        const tandem = node;
        const d = new IscDhcpd(topo, ns(dhcpdRole), dhcpdRole);
        dhcpd = d;
        const conf = dhcpdConf(dhcpdRole, {
          mcltSec: 60,
          split: mode === "hot-standby" ? 256 : 128,
        });
        const boxes = { [tandemRole]: tandemBox(tandem), [dhcpdRole]: dhcpdBox(d, conf) } as Record<
          PairRole,
          Box
        >;
        const failed = async (e: unknown): Promise<never> => {
          const records = `tandem: ${JSON.stringify(await tandem.leases().catch(() => []))}\n` +
            `dhcpd: ${await Deno.readTextFile(d.leaseFile).catch(() => "")}`;
          throw new Error(
            `${e}\n--- dhcpd ---\n${await d.log()}\n--- tandem ---\n${await tandem.log()}\n` +
              `--- records ---\n${records}`,
          );
        };
        const bothNormal = (what: string) =>
          waitFor(
            what,
            async () => {
              if (d.exited()) throw new Error(`dhcpd exited:\n${await d.log()}`);
              const f = await tandem.failover();
              return f?.state === "normal" && f.partner_state === "normal" ? f : undefined;
            },
            40_000,
            100,
          ).catch(failed);
        const onBoth = (ip: string, mac: string) =>
          waitFor(
            `${ip} active for ${mac} on both boxes`,
            async () => {
              const [a, b] = [await boxes.primary.active(), await boxes.secondary.active()];
              return a.get(ip) === mac && b.get(ip) === mac ? true : undefined;
            },
            30_000, // it may queue behind up to 75 BACKUP transfers, one per BNDUPD
            100,
          ).catch(failed);
        let clients = 0;
        const client = () => boundClient(net, ++clients, 0x30);

        const t0 = Date.now();
        // Tandem first: dhcpd dials its partner at start and, when that fails, only at its
        // next retry (tens of seconds). (A Tandem secondary dials an ISC primary itself.)
        await tandem.spawn();
        await tandem.waitReady(30_000, true);
        await d.start(conf);
        await bothNormal("both NORMAL");
        const normalMs = Date.now() - t0;

        const first = await client();
        assert(ipInRange(first.got.ip, RELAYED_POOL), `client got ${first.got.ip}`);
        if (mode === "hot-standby") assertEquals(first.got.server, LAN.primary);
        await onBoth(first.got.ip, normalizeMac(first.c.mac));

        const backups = await waitFor(
          "the secondary holds BACKUP addresses",
          async () => {
            const n = await boxes.secondary.backups();
            return n >= 10 ? n : undefined;
          },
          30_000,
          200,
        ).catch(failed);

        // kill -9 of one side: the other serves a new client alone (the secondary from its
        // BACKUP addresses; the primary in COMMUNICATIONS-INTERRUPTED, load balancing off);
        // the restart brings both back to NORMAL with that lease on both.
        const killAndRestart = async (dead: PairRole) => {
          const survivor: PairRole = dead === "primary" ? "secondary" : "primary";
          await boxes[dead].kill9();
          const killedAt = Date.now();
          const alone = await client();
          const takeoverMs = Date.now() - killedAt;
          assertEquals(alone.got.server, LAN[survivor], `the ${survivor} answers alone`);
          const restartedAt = Date.now();
          await boxes[dead].restart();
          if (tandemRole === dead) await tandem.waitReady(30_000, true);
          await bothNormal(`both NORMAL again after the ${dead}'s restart`);
          const resyncMs = Date.now() - restartedAt;
          await onBoth(alone.got.ip, normalizeMac(alone.c.mac));
          return { takeoverMs, resyncMs };
        };
        const { takeoverMs, resyncMs } = await killAndRestart("primary");
        await onBoth(first.got.ip, normalizeMac(first.c.mac));
        const { takeoverMs: takeover2Ms, resyncMs: resync2Ms } = await killAndRestart("secondary");

        for (const box of [boxes.primary, boxes.secondary]) {
          const owners = new Map<string, string>();
          for (const [ip, mac] of await box.active()) {
            const prev = owners.get(ip);
            assert(prev === undefined || prev === mac, `${ip} active for two clients`);
            owners.set(ip, mac);
          }
        }
        await capture.stop();
        const { messages, contacts, warned, strayBySender } = await dissect(pcap);
        // A test of under a minute: CONTACT every second or so per side, not a flood.
        assert(contacts < 300, `${contacts} CONTACT messages: the link is flooded`);
        console.log(`"${"Trailing stray characters"}" by sender: ${JSON.stringify(strayBySender)}`);
        assert(messages > 20, `only ${messages} dhcpfo frames decoded`);
        assertEquals(warned, [], `dhcpfo frames with expert warnings:\n${warned.join("\n")}`);
        const released = (await tandem.log()).split("\n")
          .filter((l) => l.includes("failover.updates_released"))
          .map((l) => (JSON.parse(l).properties as { after: string }).after);
        console.log(`our updates released after: ${released.join(", ")}`);
        console.log(
          `tandem ${tandemRole}, ${mode}: NORMAL after ${normalMs} ms; secondary BACKUP ` +
            `${backups}; kill -9 primary -> new client served by the secondary after ` +
            `${takeoverMs} ms; restart -> NORMAL and synced after ${resyncMs} ms; kill -9 ` +
            `secondary -> new client served by the primary after ${takeover2Ms} ms; restart -> ` +
            `NORMAL and synced after ${resync2Ms} ms; duplicates 0; ` +
            `${messages} failover frames (${contacts} CONTACT) decoded by tshark, 0 warnings`,
        );
      } finally {
        await capture?.stop();
        await node?.stop();
        dhcpd?.stop();
        await topo.cleanup();
      }
    },
  });
}

for (const role of ["primary", "secondary"] as const) {
  for (const mode of ["hot-standby", "load-balancing"] as const) interop(role, mode);
}
