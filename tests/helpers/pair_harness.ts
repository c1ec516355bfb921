/**
 * Two Tandem boxes in one process: each with its own ManualClock (skewable), its own store,
 * the real FailoverPeer over a switchable MemoryNet, and the DHCP core run exactly as the
 * runtime loop runs it (handle -> mark for partner -> commit -> tell the peer). A global
 * timeline records every ACK a client saw, so a checker can prove no address had two holders
 * at overlapping times.
 */
import { parseConfig } from "../../lib/config/parse_config.ts";
import type { Config } from "../../lib/config/config.ts";
import { handle } from "../../lib/dhcp/handle.ts";
import { advancePoolCursor } from "../../lib/dhcp/handle_context.ts";
import type { Decision } from "../../lib/dhcp/decision.ts";
import { Registry } from "../../lib/http/metrics.ts";
import type { Lease } from "../../lib/lease/lease.ts";
import type { LeaseStore } from "../../lib/lease/store.ts";
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import { ManualClock } from "../../lib/platform/clock.ts";
import { composeFailover, type FailoverParts } from "../../lib/platform/failover_boot.ts";
import { MemoryLog } from "../../lib/platform/log.ts";
import type { DhcpPacket } from "../../lib/wire/dhcp_message.ts";
import { formatIpv4, type Ipv4, ipv4ToBytes, parseIpv4 } from "../../lib/wire/ipv4.ts";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";
import { MemoryNet } from "./memory_link.ts";
import { mac, request } from "./udp_relay_client.ts";

export const T0_MS = 1_800_000_000_000;

export function pairToml(role: "primary" | "secondary", extra = ""): string {
  return `role = "${role}"
server_id = "${role === "primary" ? "10.0.0.1" : "10.0.0.2"}"
[lease]
default_sec = 600
min_sec = 60
[store]
state_dir = "/nonexistent"
[failover]
relationship = "pair-test"
my_address = "${role === "primary" ? "10.0.0.1" : "10.0.0.2"}"
partner_address = "${role === "primary" ? "10.0.0.2" : "10.0.0.1"}"
mode = "hot-standby"
mclt_sec = 60
reserve_percent = 20
contact_interval_ms = 200
receive_timer_ms = 800
max_clock_skew_sec = 600
shared_secret = "pair-test-shared-secret-0123"
${extra}
[[subnet]]
cidr = "192.0.2.0/24"
[[subnet.pool]]
range = "192.0.2.10-192.0.2.109"
`;
}

export function pairConfig(role: "primary" | "secondary", extra = ""): Config {
  const r = parseConfig(pairToml(role, extra));
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 2));
  return r.config;
}

export class Box {
  readonly clock: ManualClock;
  readonly parts: FailoverParts;
  readonly log = new MemoryLog();
  readonly registry = new Registry();
  alive = true;
  readonly #poolCursor = new Map<number, number>();

  constructor(
    readonly name: "a" | "b",
    readonly config: Config,
    readonly store: LeaseStore,
    net: MemoryNet,
    nowMs: number,
  ) {
    this.clock = new ManualClock(nowMs);
    const fo = config.failover!;
    this.parts = composeFailover(
      config,
      fo,
      store,
      this.clock,
      net.network(name),
      this.registry,
      this.log,
    );
    this.parts.peer.start();
  }

  get state(): string {
    return this.parts.peer.snapshot.state;
  }

  nowSec(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /** What lib/server.ts does for one packet, synchronously. */
  serve(p: DhcpPacket): Decision {
    const scope = this.parts.scope();
    const nowSec = this.nowSec();
    const d = handle(p, {
      config: this.config,
      leases: this.store,
      nowSec,
      scope,
      poolCursor: this.#poolCursor,
    });
    advancePoolCursor(this.#poolCursor, d);
    if (d.kind === "drop") return d;
    const ops = this.parts.prepareOps(d.ops, this.store, scope, nowSec);
    this.store.apply(ops);
    const changed: Lease[] = [];
    for (const op of ops) {
      if (op.kind === "put") changed.push(this.store.get(op.lease.ip)!);
    }
    if (changed.length > 0) this.parts.peer.leasesCommitted(changed);
    return d;
  }

  activeLeases(): Lease[] {
    return [...this.store.all()].filter((l) => l.state === "active" && l.endSec > this.nowSec());
  }

  stop(): void {
    this.alive = false;
    this.parts.peer.stop();
  }
}

export interface AckRecord {
  readonly box: string;
  readonly ip: string;
  readonly client: number;
  /** Global (true) time of the ACK and of the lease end, in ms. */
  readonly fromMs: number;
  readonly toMs: number;
}

export class Pair {
  readonly net = new MemoryNet();
  a: Box;
  b: Box;
  nowMs = T0_MS;
  skewMs: Record<"a" | "b", number> = { a: 0, b: 0 };
  readonly acks: AckRecord[] = [];
  #xid = 1;

  constructor(
    readonly configA = pairConfig("primary"),
    readonly configB = pairConfig("secondary"),
    storeA: LeaseStore = new MemoryLeaseStore(),
    storeB: LeaseStore = new MemoryLeaseStore(),
  ) {
    this.a = new Box("a", configA, storeA, this.net, this.nowMs);
    this.b = new Box("b", configB, storeB, this.net, this.nowMs);
  }

  box(n: "a" | "b"): Box {
    return n === "a" ? this.a : this.b;
  }

  /** Moves true time forward in steps, letting in-memory messages flow between steps. */
  async advance(ms: number, stepMs = 50): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      const step = Math.min(stepMs, ms - done);
      this.nowMs += step;
      for (const box of [this.a, this.b]) if (box.alive) box.clock.advance(step);
      await settle();
    }
  }

  /** Steps one box's wall clock (NTP step / skew), timers keep their delays. */
  skew(n: "a" | "b", ms: number): void {
    this.skewMs[n] += ms;
    this.box(n).clock.step(ms);
  }

  /** Advances until cond() or timeoutMs; returns elapsed ms, or -1. */
  async until(cond: () => boolean, timeoutMs = 20_000, stepMs = 50): Promise<number> {
    const start = this.nowMs;
    while (!cond()) {
      if (this.nowMs - start >= timeoutMs) return -1;
      await this.advance(stepMs, stepMs);
    }
    return this.nowMs - start;
  }

  kill(n: "a" | "b"): void {
    this.box(n).stop();
    this.net.kill(n);
  }

  /** Restarts box n on the given store (its own = a crash/restart; a new one = disk loss). */
  restart(n: "a" | "b", store: LeaseStore): void {
    this.net.revive(n);
    const config = n === "a" ? this.configA : this.configB;
    const box = new Box(n, config, store, this.net, this.nowMs + this.skewMs[n]);
    if (n === "a") this.a = box;
    else this.b = box;
  }

  /**
   * One client's DORA through a relay that forwards to both live boxes (draft §3.2): it takes
   * the first OFFER (from `prefer` when both answer), REQUESTs it from that server. Returns the
   * ACKed address.
   */
  dora(client: number, secs = 0, prefer: "a" | "b" = "a"): string | undefined {
    const chaddr = mac(client);
    const giaddr = parseIpv4("192.0.2.1")!;
    const xid = this.#xid++;
    const discover = { ...request(MSG.DISCOVER, chaddr, giaddr, xid), secs };
    let offer: { box: Box; p: DhcpPacket } | undefined;
    const order = prefer === "a" ? [this.a, this.b] : [this.b, this.a];
    for (const box of order) {
      if (!box.alive) continue;
      const d = box.serve(discover);
      if (d.kind === "reply" && offer === undefined) offer = { box, p: d.reply };
    }
    if (offer === undefined) return undefined;
    const req = {
      ...request(MSG.REQUEST, chaddr, giaddr, xid, [
        [OPT.requestedIpAddress, ipv4ToBytes(offer.p.yiaddr)],
        [OPT.serverIdentifier, offer.p.options.get(OPT.serverIdentifier)!],
      ]),
      secs,
    };
    let acked: string | undefined;
    for (const box of [this.a, this.b]) {
      if (!box.alive) continue;
      const d = box.serve(req);
      if (d.kind === "reply" && d.replyType === "ACK") {
        acked = this.#record(box, client, d.reply);
      }
    }
    return acked;
  }

  /** RENEWING: unicast to the server that gave the lease (if alive), else REBINDING to both. */
  renew(client: number, ip: string): string | undefined {
    const chaddr = mac(client);
    const ciaddr = parseIpv4(ip)!;
    const p = request(MSG.REQUEST, chaddr, parseIpv4("192.0.2.1")!, this.#xid++, [], ciaddr);
    for (const box of [this.a, this.b]) {
      if (!box.alive) continue;
      const d = box.serve(p);
      if (d.kind === "reply" && d.replyType === "ACK") return this.#record(box, client, d.reply);
    }
    return undefined;
  }

  #record(box: Box, client: number, reply: DhcpPacket): string {
    const lt = reply.options.get(OPT.ipAddressLeaseTime)!;
    const leaseSec = new DataView(lt.buffer, lt.byteOffset, 4).getUint32(0);
    const ip = formatIpv4(reply.yiaddr as Ipv4);
    this.acks.push({
      box: box.name,
      ip,
      client,
      fromMs: this.nowMs,
      toMs: this.nowMs + leaseSec * 1000,
    });
    return ip;
  }

  /** Every pair of ACKs of one address to two different clients at overlapping times. */
  duplicates(): string[] {
    const out: string[] = [];
    const byIp = new Map<string, AckRecord[]>();
    for (const a of this.acks) byIp.set(a.ip, [...(byIp.get(a.ip) ?? []), a]);
    for (const [ip, list] of byIp) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const x = list[i]!, y = list[j]!;
          if (x.client !== y.client && x.fromMs < y.toMs && y.fromMs < x.toMs) {
            out.push(`${ip}: client ${x.client} via ${x.box} and client ${y.client} via ${y.box}`);
          }
        }
      }
    }
    return out;
  }

  stop(): void {
    for (const b of [this.a, this.b]) if (b.alive) b.stop();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}
