/**
 * The failover port of a real Tandem pair (two `scripts/tandem run` processes: main.ts with the
 * binary's permission flags) attacked from loopback by someone who holds the shared secret or
 * recorded the traffic (draft-12 §11): a signed update before CONNECT, a recorded CONNECT
 * replayed on a new connection, every kind of bad binding from a hostile partner, and a flood of
 * silent connections from the partner's address racing the real partner's reconnect. Each step
 * checks that DHCP is still answered and nothing bad reached the lease database; RSS before and
 * after is printed.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { encodeFailover, type FailoverMessage } from "../../lib/failover/messages.ts";
import { FrameReader } from "../../lib/failover/frame_reader.ts";
import type { BindingUpdate } from "../../lib/failover/binding_codec.ts";
import { PROTOCOL_VERSION, REJECT } from "../../lib/failover/options.ts";
import { nativeHmacSha256With } from "../../lib/platform/hmac_native.ts";
import { formatIpv4, parseIpv4 } from "../../lib/wire/ipv4.ts";
import { MSG } from "../../lib/wire/option_registry.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";
import net from "node:net";
import { makePairCertificates, writePairCertificates } from "../../lib/app/certs.ts";
import { splitPem, upgradeToTls } from "../../lib/platform/peer_tls.ts";
import { bothNormal, ProcessPair, waitFor } from "../helpers/process_pair.ts";

const SECRET = "attack-test-shared-secret-0123";
const RELATIONSHIP = "attack-test";
const digest = nativeHmacSha256With(SECRET);
const nowSec = () => Math.floor(Date.now() / 1000);

/** A failover connection driven by the test: signed frames out, decoded frames in. */
class Attacker {
  readonly #reader = new FrameReader({ digest });
  readonly #got: FailoverMessage[] = [];
  closed = false;
  private constructor(readonly conn: Deno.Conn) {
    (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        for (const item of this.#reader.push(buf.slice(0, n))) {
          if (item.ok) this.#got.push(item.msg);
        }
      }
      this.closed = true;
    })();
  }
  static async open(port: number): Promise<Attacker> {
    return new Attacker(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async send(m: FailoverMessage): Promise<void> {
    await this.conn.write(encodeFailover(m, { digest })).catch(() => {});
  }
  async next(kind: string, ms = 3000): Promise<FailoverMessage | undefined> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const i = this.#got.findIndex((m) => m.kind === kind);
      if (i >= 0) return this.#got.splice(i, 1)[0];
      if (this.closed) return undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }
  async closedWithin(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed by the server */ }
  }
}

function connect(xid: number, timeSec: number, tlsRequest?: number): FailoverMessage {
  return {
    ...(tlsRequest === undefined ? {} : { tlsRequest }),
    kind: "connect",
    xid,
    timeSec,
    relationshipName: RELATIONSHIP,
    maxUnackedBndupd: 16,
    receiveTimerSec: 60,
    vendorClass: "attacker",
    protocolVersion: PROTOCOL_VERSION,
    mcltSec: 60,
  };
}

const ipOf = (s: string) => parseIpv4(s)!;

function active(ip: string, extra: Partial<BindingUpdate> = {}): BindingUpdate {
  const now = nowSec();
  return {
    ip: ipOf(ip),
    status: "active",
    hardware: { htype: 1, addr: new Uint8Array([2, 0xee, 0, 0, 0, 1]) },
    clttSec: now,
    stateStartSec: now,
    leaseEndSec: now + 600,
    potentialEndSec: now + 660,
    ...extra,
  };
}

Deno.test({
  name: "failover attacks on a real pair: replay, pre-CONNECT, bad bindings, partner-address flood",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tandem-attacks-" });
    const pair = new ProcessPair(dir, {
      relationship: RELATIONSHIP,
      secret: SECRET,
      net: "127.81.0",
    });
    const PORT = { a: pair.ports.primary, b: pair.ports.secondary };
    const a = pair.box("primary"), b = pair.box("secondary");
    const clientA = new RelayClient("127.81.0.1", PORT.a.dhcp);
    const clientB = new RelayClient("127.81.0.1", PORT.b.dhcp);
    const report: string[] = [];
    let probes = 0;
    const probe = async (client: RelayClient) => {
      const r = await client.dora(mac(200 + probes), 0x5100 + probes++);
      equal(r.type, MSG.ACK, "DHCP answered");
    };
    try {
      ok(await bothNormal(a, b, true), "the pair reached NORMAL");
      await probe(clientA);
      const rss0 = await b.rssMb();

      // 1. A signed BNDUPD on a new connection, before any CONNECT (a live link exists: the
      //    connection is refused as a duplicate; either way nothing is acted on).
      const early = await Attacker.open(PORT.b.fo);
      await early.send({
        kind: "bndupd",
        xid: 1,
        timeSec: nowSec(),
        bindings: [active("127.81.0.150")],
      });
      ok(await early.closedWithin(3000), "closed");
      early.close();
      report.push("BNDUPD before CONNECT, link up: connection closed, nothing stored");

      // The real primary goes away: the secondary is alone (COMMUNICATIONS-INTERRUPTED) and
      // takes a connection from the partner's address again.
      await a.kill();
      ok(await waitFor(async () => (await b.state()) === "communications-interrupted", 5000));
      await probe(clientB);

      const before = await b.metric(
        "tandem_failover_rejected_connections_total",
        'reason="before-handshake"',
      );
      const early2 = await Attacker.open(PORT.b.fo);
      await early2.send({
        kind: "bndupd",
        xid: 2,
        timeSec: nowSec(),
        bindings: [active("127.81.0.151")],
      });
      ok(await early2.closedWithin(3000), "closed");
      early2.close();
      equal(
        await b.metric("tandem_failover_rejected_connections_total", 'reason="before-handshake"'),
        before + 1,
      );
      report.push("BNDUPD before CONNECT, partner away: closed, counted (before-handshake)");

      // 2. A CONNECT recorded 60 s ago, replayed with the BNDUPD that followed it: the time is
      //    behind the primary's clock as the secondary followed it, so it is stale.
      const replay = await Attacker.open(PORT.b.fo);
      await replay.send(connect(77, nowSec() - 60));
      await replay.send({
        kind: "bndupd",
        xid: 78,
        timeSec: nowSec() - 60,
        bindings: [active("127.81.0.152")],
      });
      ok(await replay.closedWithin(3000), "the replayed CONNECT closed the connection");
      equal(await replay.next("connectack", 10), undefined, "no CONNECTACK for a replay");
      replay.close();
      equal(await b.metric("tandem_failover_messages_refused_total", 'reason="stale"'), 1);
      report.push("recorded CONNECT + BNDUPD replayed 60 s later: refused as stale, closed");
      await probe(clientB);

      // 3. A hostile partner (it holds the secret, its CONNECT is fresh): every bad binding is
      //    refused in the BNDACK, with the draft's reject reason.
      const hostile = await Attacker.open(PORT.b.fo);
      await hostile.send(connect(1000, nowSec()));
      const ack = await hostile.next("connectack");
      ok(
        ack !== undefined && ack.kind === "connectack" && ack.rejectReason === undefined,
        "CONNECTACK",
      );
      const now = nowSec();
      const cases: [string, BindingUpdate, number][] = [
        ["the secondary's own server id", active("127.0.0.2"), REJECT.illegalIpAddress],
        ["the failover address", active("127.0.0.1"), REJECT.illegalIpAddress],
        ["network address", active("127.81.0.0"), REJECT.illegalIpAddress],
        ["broadcast address", active("127.81.0.255"), REJECT.illegalIpAddress],
        ["outside every pool", active("127.81.0.240"), REJECT.illegalIpAddress],
        ["outside every subnet", active("10.9.9.9"), REJECT.illegalIpAddress],
        [
          "lease end in 2106",
          active("127.81.0.160", { leaseEndSec: 4_294_967_000 }),
          REJECT.unknownError,
        ],
        [
          "start in 2100",
          active("127.81.0.161", { stateStartSec: 4_102_444_800 }),
          REJECT.unknownError,
        ],
        ["CLTT in 2100", active("127.81.0.162", { clttSec: 4_102_444_800 }), REJECT.unknownError],
        [
          "300-byte client id",
          active("127.81.0.163", { clientId: new Uint8Array(300).fill(7) }),
          REJECT.unknownError,
        ],
        [
          "ACTIVE without a client",
          {
            ip: ipOf("127.81.0.164"),
            status: "active",
            clttSec: now,
            leaseEndSec: now + 600,
            potentialEndSec: now + 660,
            stateStartSec: now,
          },
          REJECT.missingBindingInformation,
        ],
      ];
      let xid = 2000;
      for (const [what, binding, reason] of cases) {
        await hostile.send({ kind: "bndupd", xid: ++xid, timeSec: nowSec(), bindings: [binding] });
        const m = await hostile.next("bndack");
        ok(m !== undefined && m.kind === "bndack", `${what}: a BNDACK`);
        equal(m.acks[0]?.rejectReason, reason, `${what}: reject reason`);
      }
      report.push(`${cases.length} bad bindings: each refused with its reject reason`);
      // A bad host name does not refuse the binding; it is stored without the name.
      await hostile.send({
        kind: "bndupd",
        xid: ++xid,
        timeSec: nowSec(),
        bindings: [active("127.81.0.170", { hostname: "bad\u001b[31mname" })],
      });
      const good = await hostile.next("bndack");
      ok(good?.kind === "bndack" && good.acks[0]?.rejectReason === undefined, "a valid binding");
      // 4. The same message twice on the connection: the repeat is not acted on.
      const msg: FailoverMessage = {
        kind: "bndupd",
        xid: ++xid,
        timeSec: nowSec(),
        bindings: [active("127.81.0.171")],
      };
      await hostile.send(msg);
      await hostile.send(msg);
      ok(await hostile.next("bndack") !== undefined);
      equal(await hostile.next("bndack", 500), undefined, "no answer to the repeat");
      equal(await b.metric("tandem_failover_messages_refused_total", 'reason="repeated"'), 1);
      report.push("the same BNDUPD twice on a connection: the repeat refused (repeated)");
      hostile.close();
      await probe(clientB);

      const stored = await b.leases();
      const ips = new Set(stored.map((l) => l.ip));
      for (const [what, binding] of cases) {
        equal(ips.has(formatIpv4(binding.ip)), false, `${what} reached the database`);
      }
      const named = stored.find((l) => l.ip === "127.81.0.170");
      ok(named !== undefined, "the valid binding was stored");
      equal(named.hostname ?? "", "", "the bad host name was dropped");
      ok(!JSON.stringify(named).includes("\u001b"), "no control character reached the store");

      // 5. The real primary comes back while its address floods the secondary with silent
      //    connections (one every 10 ms): the real CONNECT still gets through.
      const flood: Deno.Conn[] = [];
      let flooding = true;
      const flooder = (async () => {
        while (flooding) {
          const c = await Deno.connect({ hostname: "127.0.0.1", port: PORT.b.fo }).catch(() =>
            undefined
          );
          if (c !== undefined) flood.push(c);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await new Promise((r) => setTimeout(r, 1000)); // the flood is on before the primary
      const t0 = Date.now();
      await a.start(false);
      const back = await waitFor(
        async () => (await a.state()) === "normal" && (await b.state()) === "normal",
        30_000,
      );
      const tookMs = Date.now() - t0;
      // ...and goes on for 3 s against the live link: it stays NORMAL throughout.
      let leftNormal = 0;
      for (let i = 0; i < 30 && back; i++) {
        if ((await b.state()) !== "normal" || (await a.state()) !== "normal") leftNormal++;
        await new Promise((r) => setTimeout(r, 100));
      }
      flooding = false;
      await flooder;
      equal(leftNormal, 0, "the flood knocked the live link over");
      ok(back, `NORMAL again under the flood (a=${await a.state()}, b=${await b.state()})`);
      const evicted = await b.metric(
        "tandem_failover_rejected_connections_total",
        'reason="pending-evicted"',
      );
      const duplicate = await b.metric(
        "tandem_failover_rejected_connections_total",
        'reason="duplicate"',
      );
      report.push(
        `${flood.length} silent connections from the partner address during the primary's ` +
          `restart and 3 s after: NORMAL again ${tookMs} ms after the restart (includes process start) and stayed; ${evicted} evicted ` +
          `while waiting, ${duplicate} refused as duplicates once the link was up`,
      );
      for (const c of flood) {
        try {
          c.close();
        } catch { /* closed by the server */ }
      }
      await probe(clientA);
      const rss1 = await b.rssMb();
      console.log(
        report.map((l) => `  - ${l}`).join("\n") +
          `\n  secondary RSS ${rss0.toFixed(1)} -> ${
            rss1.toFixed(1)
          } MB; ${probes} DHCP probes answered`,
      );
      ok(rss1 - rss0 < 30, `RSS grew ${rss1 - rss0} MB`);
      deepEqual(
        (await b.leases()).filter((l) =>
          ["127.81.0.150", "127.81.0.151", "127.81.0.152"].includes(l.ip)
        ),
        [],
        "no pre-CONNECT or replayed binding stored",
      );
    } finally {
      clientA.close();
      clientB.close();
      await a.kill();
      await b.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "failover attacks on a real TLS secondary: a client certificate from another CA is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tandem-attacks-tls-" });
    const pair = await makePairCertificates(
      [
        { name: "primary", address: "127.0.0.1" },
        { name: "secondary", address: "127.0.0.1" },
      ],
      30,
      RELATIONSHIP,
    );
    await writePairCertificates(`${dir}/certs`, pair);
    const other = await makePairCertificates([{ name: "primary", address: "127.0.0.1" }], 30, "x");
    const procs = new ProcessPair(dir, {
      relationship: RELATIONSHIP,
      secret: SECRET,
      net: "127.81.0",
    });
    const PORT = { b: procs.ports.secondary };
    const a = procs.box("primary", `${dir}/certs`);
    const b = procs.box("secondary", `${dir}/certs`);
    const clientB = new RelayClient("127.81.0.1", PORT.b.dhcp);
    try {
      ok(await bothNormal(a, b, true), "the TLS pair reached NORMAL");
      equal(JSON.parse(await b.get("/status")).failover.link_tls, true, "the link is TLS");
      // The primary goes away; the secondary serves alone and accepts connections again.
      await a.kill();
      ok(await waitFor(async () => (await b.state()) === "communications-interrupted", 5000));
      const leasesBefore = (await b.leases()).length;
      const tlsBefore = await b.metric(
        "tandem_failover_rejected_connections_total",
        'reason="tls"',
      );
      const rss0 = await b.rssMb();
      const tries = 20;
      for (let i = 0; i < tries; i++) {
        const sock = net.connect({ host: "127.0.0.1", port: PORT.b.fo });
        await new Promise<void>((res, rej) => {
          sock.once("connect", () => res());
          sock.once("error", rej);
        });
        // The plain CONNECT asks for TLS (TLS-request 2), signed with the right secret.
        const reader = new FrameReader({ digest });
        const ackP = new Promise<FailoverMessage | undefined>((res) => {
          sock.on("data", (chunk: Uint8Array) => {
            for (const item of reader.push(new Uint8Array(chunk))) if (item.ok) res(item.msg);
          });
          sock.once("close", () => res(undefined));
        });
        sock.write(encodeFailover(connect(9000 + i, nowSec(), 2), { digest }));
        const ack = await ackP;
        ok(ack?.kind === "connectack" && ack.tlsReply === 1, "TLS-reply 1");
        sock.removeAllListeners("data");
        sock.removeAllListeners("close");
        // TLS with a certificate from another CA (it trusts the pair's CA, so it goes ahead).
        const refused = await upgradeToTls(sock, "client", {
          cert: other.boxes[0]!.cert,
          key: other.boxes[0]!.key,
          ca: splitPem(pair.caCert),
        }, 3000).then(async (t) => {
          // TLS 1.3: the server's verdict on our certificate arrives after our side is done.
          const closed = await new Promise<boolean>((res) => {
            t.once("close", () => res(true));
            t.once("error", () => res(true));
            t.once("data", () => res(false));
            setTimeout(() => res(false), 3000);
          });
          t.destroy();
          return closed;
        }, () => true);
        ok(refused, "the TLS connection was refused");
      }
      equal(
        await b.metric("tandem_failover_rejected_connections_total", 'reason="tls"') - tlsBefore,
        tries,
      );
      equal((await clientB.dora(mac(300), 0x7700)).type, MSG.ACK, "DHCP answered");
      const rss1 = await b.rssMb();
      console.log(
        `  - ${tries} TLS connections with a certificate from another CA: all refused ` +
          `(rejected reason="tls" = ${tries}); secondary RSS ${rss0.toFixed(1)} -> ${
            rss1.toFixed(1)
          } MB`,
      );
      equal((await b.leases()).length, leasesBefore + 1, "only the probe's lease was added");
      equal(await b.state(), "communications-interrupted", "the secondary never paired with it");
    } finally {
      clientB.close();
      await a.kill();
      await b.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
