/**
 * Two Tandem boxes in one process, each the real runtime: a DhcpServer (lib/app/server.ts) with its
 * store and group commit, reclaim sweep and reply pacing, and the real FailoverPeer composed as
 * boot.ts composes it (lib/app/failover_boot.ts), each on its own ManualClock (skewable),
 * over a switchable MemoryNet for failover and an in-memory datagram transport for DHCP. A
 * global timeline records every ACK a client saw, in true time, so a checker can prove no
 * address had two holders at overlapping times.
 */
import { parseConfig } from "../../lib/config/parse_config.ts";
import type { Config } from "../../lib/config/config.ts";
import { Registry } from "../../lib/http/metrics.ts";
import type { Lease } from "../../lib/lease/lease.ts";
import type { LeaseStore } from "../../lib/lease/store.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import { DecidedStore } from "./decided_store.ts";
import { commitHooks, dhcpMetrics } from "../../lib/app/dhcp_metrics.ts";
import { DhcpServer } from "../../lib/app/server.ts";
import { ManualClock, SteadyClock } from "../../lib/clock.ts";
import { composeFailover, type FailoverParts } from "../../lib/app/failover_boot.ts";
import { MemoryLog } from "../../lib/event_log.ts";
import type { Datagram, DatagramTransport, OutDatagram } from "../../lib/platform/udp.ts";
import { decodeDhcp, type DhcpPacket, encodeDhcp } from "../../lib/wire/dhcp_message.ts";
import { formatIpv4, type Ipv4, ipv4ToBytes, parseIpv4 } from "../../lib/wire/ipv4.ts";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";
import { MemoryNet } from "./memory_link.ts";
import { clientKeyOf } from "../../lib/wire/client_key.ts";
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

/** The DHCP socket of a box, in memory: the harness delivers datagrams and takes replies. */
export class MemoryDhcpTransport implements DatagramTransport {
  readonly port = 67;
  readonly #out: OutDatagram[] = [];
  #on: ((d: Datagram) => void) | undefined;
  #closed = false;
  #ended: (() => void) | undefined;

  run(onDatagram: (d: Datagram) => void): Promise<void> {
    this.#on = onDatagram;
    return new Promise((r) => (this.#ended = r));
  }
  deliver(data: Uint8Array, fromIp: string, fromPort: number): void {
    if (!this.#closed) this.#on?.({ data, fromIp, fromPort });
  }
  send(data: Uint8Array, ip: string, port: number): Promise<void> {
    if (!this.#closed) this.#out.push({ data, ip, port });
    return Promise.resolve();
  }
  sendMany(list: readonly OutDatagram[]): readonly number[] {
    if (this.#closed) return list.map((_, i) => i);
    for (const d of list) this.#out.push(d);
    return [];
  }
  close(): void {
    this.#closed = true;
    this.#ended?.();
  }
  /** Replies sent since the last call. */
  take(): DhcpPacket[] {
    const out: DhcpPacket[] = [];
    for (const d of this.#out.splice(0)) {
      const r = decodeDhcp(d.data);
      if (r.ok) out.push(r.packet);
    }
    return out;
  }
}

const RELAY = "192.0.2.1";

/** A box's system clock (the harness advances and steps it) and the time base it runs on. */
export interface BoxClocks {
  readonly system: ManualClock;
  readonly clock: SteadyClock;
}

/** The clocks of a box starting now, system clock at startMs (as boot.ts composes them). */
function startClocks(startMs: number): BoxClocks {
  const system = new ManualClock(startMs);
  return { system, clock: new SteadyClock(system) };
}

export class Box {
  /** The box's system clock: the harness advances and steps it. */
  readonly system: ManualClock;
  /** What the box runs on, as boot.ts composes it: its time base from this start. */
  readonly clock: SteadyClock;
  readonly parts: FailoverParts;
  readonly log = new MemoryLog();
  readonly registry = new Registry();
  /** The decided state: this box's index, durable into `store` by group commit. */
  readonly decided: DecidedStore;
  readonly server: DhcpServer;
  readonly transport = new MemoryDhcpTransport();
  alive = true;

  constructor(
    readonly name: "a" | "b",
    readonly config: Config,
    /** The committed ("on disk") leases; a restart on the same object is a crash. */
    readonly store: LeaseStore,
    net: MemoryNet,
    clocks: BoxClocks,
    /** First start of a brand-new pair (`tandem run --new-pair`). */
    newPair = false,
  ) {
    this.system = clocks.system;
    this.clock = clocks.clock;
    const metrics = dhcpMetrics(this.registry, () => config, store);
    // The index is rebuilt from the "disk" at every start: what a group had not written when
    // the box died is gone, as after a real crash.
    this.decided = new DecidedStore(async (ops) => {
      await Promise.resolve();
      store.apply(ops);
    }).hydrateFrom(store as MemoryLeaseStore);
    this.decided.hooks = commitHooks(
      metrics,
      this.log,
      () => this.clock.monoMs(),
      () => this.kill(),
    );
    const fo = config.failover!;
    this.parts = composeFailover(
      config,
      fo,
      this.decided,
      this.clock,
      net.network(name),
      this.registry,
      this.log,
      // The primary's scopes, taken by a secondary, go to its DHCP core (partner_scopes.ts).
      { newPair, applyConfig: (next) => this.server.setConfig(next) },
    );
    this.server = new DhcpServer({
      config,
      store: this.decided,
      clock: this.clock,
      transport: this.transport,
      log: this.log,
      metrics,
      scope: this.parts.scope,
      prepareOps: this.parts.prepareOps,
      onCommitted: (changed) => this.parts.peer.leasesCommitted(changed),
      relayHeard: (giaddr) => this.parts.peer.relayHeard(giaddr),
    });
    void this.server.run();
    this.parts.peer.start();
  }

  get state(): string {
    return this.parts.peer.snapshot.state;
  }

  nowSec(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /** One packet in through the relay, the replies to it out (after commit, as the runtime). */
  async exchange(p: DhcpPacket): Promise<DhcpPacket[]> {
    if (!this.alive) return [];
    this.transport.deliver(encodeDhcp(p), RELAY, 67);
    await settle();
    return this.transport.take().filter((r) => r.xid === p.xid);
  }

  activeLeases(): Lease[] {
    return [...this.store.all()].filter((l) => l.state === "active" && l.endSec > this.nowSec());
  }

  /** kill -9: no drain, nothing more sent; commits already started reach the store. */
  kill(): void {
    this.alive = false;
    void this.server.stop();
    this.parts.peer.stop();
  }

  stop(): void {
    this.kill();
  }
}

const typeOf = (p: DhcpPacket) => p.options.get(OPT.dhcpMessageType)?.[0];

export interface AckRecord {
  readonly box: string;
  readonly ip: string;
  readonly client: number;
  /** Global (true) time of the ACK and of the lease end, in ms. */
  readonly fromMs: number;
  readonly toMs: number;
}

interface WriteEvent {
  readonly ip: string;
  readonly state: string;
  readonly clientKey: string;
  readonly endSec: number;
  readonly trueMs: number;
  readonly boxMs: number;
}

/** The client key the server derives for client i (no client id: htype + chaddr). */
function keyOfClient(i: number): string {
  return clientKeyOf(undefined, 1, mac(i).subarray(0, 6));
}

export class Pair {
  readonly net = new MemoryNet();
  a: Box;
  b: Box;
  nowMs = T0_MS;
  skewMs: Record<"a" | "b", number> = { a: 0, b: 0 };
  /** The clocks of each box's current start: the checker reads the time the box itself used. */
  readonly #clocks: Record<"a" | "b", BoxClocks>;
  readonly acks: AckRecord[] = [];
  /** Clients that gave their address back (their lease ends then, for the checker). */
  readonly released: { ip: string; client: number; atMs: number }[] = [];
  #xid = 1;

  constructor(
    readonly configA = pairConfig("primary"),
    readonly configB = pairConfig("secondary"),
    storeA: LeaseStore = new MemoryLeaseStore(),
    storeB: LeaseStore = new MemoryLeaseStore(),
  ) {
    // Commissioned as a new pair only when both stores start empty, as an operator would.
    const fresh = storeA.size() === 0 && storeB.size() === 0;
    this.#clocks = { a: startClocks(this.nowMs), b: startClocks(this.nowMs) };
    const start = (n: "a" | "b", config: Config, store: LeaseStore) =>
      new Box(n, config, this.recordingStore(n, store), this.net, this.#clocks[n], fresh);
    this.a = start("a", configA, storeA);
    this.b = start("b", configB, storeB);
  }

  box(n: "a" | "b"): Box {
    return n === "a" ? this.a : this.b;
  }

  /** Moves true time forward in steps, letting in-memory messages flow between steps. */
  async advance(ms: number, stepMs = 50): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      const step = Math.min(stepMs, ms - done);
      this.nowMs += step;
      for (const box of [this.a, this.b]) if (box.alive) box.system.advance(step);
      await settle();
    }
  }

  /** Steps one box's wall clock (NTP step / skew), timers keep their delays. */
  skew(n: "a" | "b", ms: number): void {
    this.skewMs[n] += ms;
    this.box(n).system.step(ms);
  }

  /** Advances until cond() or timeoutMs; returns elapsed ms, or -1. */
  async until(
    cond: () => boolean | Promise<boolean>,
    timeoutMs = 20_000,
    stepMs = 50,
  ): Promise<number> {
    const start = this.nowMs;
    while (!(await cond())) {
      if (this.nowMs - start >= timeoutMs) return -1;
      await this.advance(stepMs, stepMs);
    }
    return this.nowMs - start;
  }

  kill(n: "a" | "b"): void {
    this.box(n).kill();
    this.net.kill(n);
  }

  /** Restarts box n on the given store (its own = a crash/restart; a new one = disk loss). */
  restart(n: "a" | "b", store: LeaseStore): void {
    this.net.revive(n);
    const config = n === "a" ? this.configA : this.configB;
    // The same store object is a crash (it keeps what was committed); a new one is a wiped disk.
    const recorded = store === this.box(n).store ? store : this.recordingStore(n, store);
    this.#clocks[n] = startClocks(this.nowMs + this.skewMs[n]);
    const box = new Box(n, config, recorded, this.net, this.#clocks[n]);
    if (n === "a") this.a = box;
    else this.b = box;
  }

  /**
   * One client's DORA through a relay that forwards to both live boxes (draft §3.2): it takes
   * the first OFFER (from `prefer` when both answer), REQUESTs it from that server (the relay
   * forwards the REQUEST to both, as a relay does). Returns the ACKed address.
   */
  async dora(client: number, secs = 0, prefer: "a" | "b" = "a"): Promise<string | undefined> {
    const chaddr = mac(client);
    const giaddr = parseIpv4(RELAY)!;
    const xid = this.#xid++;
    const discover = { ...request(MSG.DISCOVER, chaddr, giaddr, xid), secs };
    let offer: DhcpPacket | undefined;
    const order = prefer === "a" ? [this.a, this.b] : [this.b, this.a];
    for (const box of order) {
      const o = (await box.exchange(discover)).find((r) => typeOf(r) === MSG.OFFER);
      offer ??= o;
    }
    if (offer === undefined) return undefined;
    const req = {
      ...request(MSG.REQUEST, chaddr, giaddr, xid, [
        [OPT.requestedIpAddress, ipv4ToBytes(offer.yiaddr)],
        [OPT.serverIdentifier, offer.options.get(OPT.serverIdentifier)!],
      ]),
      secs,
    };
    let acked: string | undefined;
    for (const box of [this.a, this.b]) {
      for (const r of await box.exchange(req)) {
        if (typeOf(r) === MSG.ACK) acked = this.#record(box, client, r);
      }
    }
    return acked;
  }

  /** RENEWING/REBINDING: to both boxes through the relay; the first ACK counts. */
  async renew(client: number, ip: string): Promise<string | undefined> {
    const chaddr = mac(client);
    const ciaddr = parseIpv4(ip)!;
    const p = request(MSG.REQUEST, chaddr, parseIpv4(RELAY)!, this.#xid++, [], ciaddr);
    let acked: string | undefined;
    for (const box of [this.a, this.b]) {
      for (const r of await box.exchange(p)) {
        if (typeOf(r) === MSG.ACK) acked ??= this.#record(box, client, r);
      }
    }
    return acked;
  }

  /** DHCPDECLINE of ip by client (RFC 2131 §4.3.3: it found the address in use). */
  async decline(client: number, ip: string): Promise<void> {
    await this.#giveBack(
      request(MSG.DECLINE, mac(client), parseIpv4(RELAY)!, this.#xid++, [
        [OPT.requestedIpAddress, ipv4ToBytes(parseIpv4(ip)!)],
      ]),
      client,
      ip,
    );
  }

  /** DHCPRELEASE of ip by client, to both boxes (the client unicasts; the relay path is fine). */
  async release(client: number, ip: string): Promise<void> {
    const p = request(MSG.RELEASE, mac(client), parseIpv4(RELAY)!, this.#xid++, [], parseIpv4(ip)!);
    await this.#giveBack(p, client, ip);
  }

  /** Sends p to each box with that box's server identifier; the client's hold ends now. */
  async #giveBack(p: DhcpPacket, client: number, ip: string): Promise<void> {
    for (const box of [this.a, this.b]) {
      const options = new Map(p.options);
      options.set(OPT.serverIdentifier, ipv4ToBytes(box.config.serverId));
      await box.exchange({ ...p, options });
    }
    this.released.push({ ip, client, atMs: this.nowMs });
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

  /**
   * Every pair of clients that held one address at overlapping true times: by the ACKs the
   * clients saw (a lease runs from its ACK to its end, or to the client's RELEASE), and by
   * both boxes' committed ACTIVE records (lease histories).
   */
  duplicates(): string[] {
    const out: string[] = [];
    const held: { ip: string; who: string; fromMs: number; toMs: number; via: string }[] = [];
    for (const a of this.acks) {
      const rel = this.released.find((r) =>
        r.ip === a.ip && r.client === a.client && r.atMs >= a.fromMs
      );
      const toMs = Math.min(a.toMs, rel?.atMs ?? Infinity);
      held.push({ ip: a.ip, who: keyOfClient(a.client), fromMs: a.fromMs, toMs, via: a.box });
    }
    for (const h of this.history) held.push(h);
    const byIp = new Map<string, typeof held>();
    for (const h of held) byIp.set(h.ip, [...(byIp.get(h.ip) ?? []), h]);
    for (const [ip, list] of byIp) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const x = list[i]!, y = list[j]!;
          if (x.who !== y.who && x.fromMs < y.toMs && y.fromMs < x.toMs) {
            out.push(`${ip}: ${x.who} via ${x.via} and ${y.who} via ${y.via}`);
          }
        }
      }
    }
    return out;
  }

  /** Committed ACTIVE intervals of both boxes' stores, in true time, ended by the next write. */
  get history(): { ip: string; who: string; fromMs: number; toMs: number; via: string }[] {
    const out: { ip: string; who: string; fromMs: number; toMs: number; via: string }[] = [];
    for (const [box, events] of this.#writes) {
      const open = new Map<string, (typeof out)[number]>();
      for (const e of events) {
        const prev = open.get(e.ip);
        if (prev !== undefined) prev.toMs = Math.min(prev.toMs, e.trueMs);
        open.delete(e.ip);
        // A record already past its end when written (a stale binding replayed by the partner)
        // holds nothing.
        if (e.state !== "active" || e.clientKey === "" || e.endSec * 1000 <= e.boxMs) continue;
        const h = {
          ip: e.ip,
          who: e.clientKey,
          fromMs: e.trueMs,
          toMs: e.trueMs + Math.max(0, e.endSec * 1000 - e.boxMs),
          via: `${box} store`,
        };
        out.push(h);
        open.set(e.ip, h);
      }
    }
    return out;
  }

  readonly #writes = new Map<string, WriteEvent[]>();

  /** A store for box n that records every committed put (its lease history). */
  recordingStore(n: "a" | "b", inner: LeaseStore = new MemoryLeaseStore()): LeaseStore {
    const events = this.#writes.get(n) ?? [];
    this.#writes.set(n, events);
    const record = (ops: readonly LeaseOp[]) => {
      for (const op of ops) {
        if (op.kind !== "put") continue;
        events.push({
          ip: formatIpv4(op.lease.ip),
          state: op.lease.state,
          clientKey: op.lease.clientKey,
          endSec: op.lease.endSec,
          trueMs: this.nowMs,
          boxMs: this.#clocks[n].clock.nowMs(),
        });
      }
    };
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === "commit") {
          return (ops: readonly LeaseOp[]) => {
            const p = target.commit(ops);
            return p.then(() => record(ops));
          };
        }
        if (prop === "apply") {
          return (ops: readonly LeaseOp[]) => {
            target.apply(ops);
            record(ops);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }

  stop(): void {
    for (const b of [this.a, this.b]) if (b.alive) b.stop();
  }
}

/**
 * Lets in-memory work run to completion: packets, commits (the memory store commits at once),
 * replies and failover messages all move by promise callbacks and microtasks, so a few rounds
 * of the microtask queue settle them without waiting on real timers (fast and deterministic).
 * The reply pacer's timer runs only past 32 replies at once, which one exchange never makes.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 40; i++) await null;
}
