/**
 * The DHCP runtime loop: receive -> decode -> handle -> decide in the store's index -> persist
 * (its group commit) -> send -> tell failover. ARCHITECTURE.md invariant 2: a DHCPACK leaves
 * only after the transaction holding its lease has committed; if the commit fails, no reply that
 * waited for it is sent (the clients retry).
 */
import type { Config } from "../config/config.ts";
import type { LeaseStore, LeaseView } from "../lease/store.ts";
import type { Lease } from "../lease/lease.ts";
import { isDurable, type LeaseOp } from "../lease/ops.ts";
import type { Clock } from "../clock.ts";
import type { Datagram, DatagramTransport } from "../platform/udp.ts";
import type { EventLog } from "../event_log.ts";
import type { DhcpMetrics } from "./dhcp_metrics.ts";
import type { ServingScope } from "../dhcp/scope.ts";
import type { Decision, Destination } from "../dhcp/decision.ts";
import { handle } from "../dhcp/handle.ts";
import { advancePoolCursor } from "../dhcp/handle_context.ts";
import { reclaimExpired } from "../dhcp/reclaim.ts";
import { decodeDhcp, encodeDhcp } from "../wire/dhcp_message.ts";
import { broadcastOf, formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import { toHex } from "../wire/bytes.ts";
import { type LeaseCommand, planLeaseCommand } from "../dhcp/lease_commands.ts";
import { MSG_NAMES } from "../wire/option_registry.ts";
import { LogLimiter } from "../log_limiter.ts";
import { expiryEvents, type LeaseEvent, leaseEventsOf, operatorEvents } from "./lease_events.ts";
import type { PoolWatch } from "./pool_watch.ts";

const RECLAIM_INTERVAL_MS = 10_000;
/** Packets handled per turn of the event loop before it may run sends and timers. */
const MAX_BATCH = 256;
/** Most replies sent back to back, and the pause between two such bursts (see #pace). */
const REPLY_BURST = 64;
const REPLY_GAP_MS = 1;
/** Datagrams queued beyond this are dropped (counted as "overload"): memory stays bounded. */
const MAX_QUEUE = 8192;

export interface ServerDeps {
  readonly config: Config;
  /** Where lease changes go (shared with failover, so all writers see each other). */
  /** Decides in its index at once, durable in group commits behind it (group_commit.ts). */
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly transport: DatagramTransport;
  readonly log: EventLog;
  readonly metrics: DhcpMetrics;
  /** The current serving scope (failover changes it with its state). */
  readonly scope: () => ServingScope;
  /** Called after each commit with the lease records it changed (failover sends BNDUPDs). */
  readonly onCommitted?: (changed: readonly Lease[]) => void;
  /** A client was heard through this relay (giaddr): relay coverage (relay_watch.ts). */
  readonly relayHeard?: (giaddr: Ipv4) => void;
  /** Pool low-water warnings, checked with every expiry sweep (pool_watch.ts). */
  readonly poolWatch?: PoolWatch;
  /** Rewrites a batch's ops before commit (failover marks them for the partner). */
  readonly prepareOps?: (
    ops: readonly LeaseOp[],
    view: LeaseView,
    scope: ServingScope,
    nowSec: number,
  ) => LeaseOp[];
}

interface Pending {
  readonly data: Uint8Array;
  readonly ip: string;
  readonly port: number;
  readonly type: string;
}

export class DhcpServer {
  readonly #d: ServerDeps;
  #queue: Datagram[] = [];
  #drainScheduled = false;
  #stopped = false;
  /** Pools a whole scan found empty, until the next second (handle_context.ts). */
  readonly #poolFullUntil = new Map<number, number>();
  #fullScope: ServingScope | undefined;
  /** This box in the lease event log: its server id. */
  readonly #box: string;
  /** Storage failed: nothing more is sent (halt). */
  #halted = false;
  /** The last batch of replies handed to the socket. */
  #sending: Promise<void> = Promise.resolve();
  #reclaimTimer: { cancel(): void } | undefined;
  /** Next-fit scan positions per subnet (HandleContext.poolCursor). */
  readonly #poolCursor = new Map<number, number>();
  /** Replies waiting for their burst (#pace), from #pacedHead on; empty when none wait. */
  #paced: Pending[] = [];
  #pacedHead = 0;
  #pacedAtMs = 0;
  readonly #logLimiter: LogLimiter;

  #broadcastIp = "255.255.255.255";
  #config: Config;

  constructor(deps: ServerDeps) {
    this.#d = deps;
    this.#config = deps.config;
    this.#box = formatIpv4(deps.config.serverId);
    this.#logLimiter = new LogLimiter(deps.log, () => deps.clock.monoMs());
    this.setConfig(deps.config);
  }

  /**
   * A reloaded config (reload_plan.ts says what may change): the next batch is decided with
   * it. Between two batches, so no packet sees half of it.
   */
  setConfig(config: Config): void {
    this.#config = config;
    const direct = config.subnets.find((s) => s.direct);
    this.#broadcastIp = config.dhcp.broadcastAddress ??
      (direct === undefined ? "255.255.255.255" : formatIpv4(broadcastOf(direct.cidr)));
    this.#poolFullUntil.clear();
    this.#poolCursor.clear();
  }

  /** Serves until stop(); resolves when the socket closes. */
  async run(): Promise<void> {
    this.#scheduleReclaim();
    await this.#d.transport.run((d) => this.#enqueue(d));
  }

  /**
   * Stops taking packets, finishes what was handled (its commits, then its replies: an ACK
   * decided before SIGTERM still leaves once its lease is on disk), then closes the socket.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reclaimTimer?.cancel();
    this.#queue = [];
    await this.#d.store.drain?.();
    // The replies that waited for those commits were paced by now (microtasks): send the rest.
    await new Promise((r) => setTimeout(r, 0));
    this.#paceBurst();
    await this.#sending;
    this.#d.transport.close();
  }

  /**
   * Storage failed (dhcp_metrics.ts pipelineHooks): stop at once. Nothing more is received,
   * decided or sent, not even replies already paced, since the process is about to exit.
   */
  halt(): void {
    this.#stopped = true;
    this.#halted = true;
    this.#reclaimTimer?.cancel();
    this.#d.transport.close();
    this.#queue = [];
    this.#paced = [];
    this.#pacedHead = 0;
  }

  /**
   * An operator's lease command (lease_commands.ts): planned on the decided state under the
   * rules a client's packet meets, committed and told to the partner like one, logged.
   */
  async leaseCommand(cmd: LeaseCommand): Promise<{ ok: boolean; message: string }> {
    if (this.#stopped) return { ok: false, message: "the server is stopping" };
    const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
    const plan = planLeaseCommand(cmd, {
      config: this.#config,
      leases: this.#d.store,
      nowSec,
      scope: this.#d.scope(),
    });
    if (!plan.ok) return plan;
    // A standalone delete removes the record: its event is told from the record before.
    const gone = plan.ops.flatMap((op) => {
      const l = op.kind === "delete" ? this.#d.store.get(op.ip) : undefined;
      return l === undefined ? [] : [{ ...l, state: "free" as const }];
    });
    await this.applyOps(
      plan.ops,
      (changed) => operatorEvents(cmd.kind, [...changed, ...gone], this.#box),
    );
    return { ok: true, message: plan.message };
  }

  /** Applies ops outside the packet path (the expiry sweep), told to failover like packets. */
  async applyOps(
    raw: readonly LeaseOp[],
    eventsOf: (changed: readonly Lease[]) => readonly LeaseEvent[] = (changed) =>
      expiryEvents(changed, this.#box),
  ): Promise<void> {
    if (raw.length === 0) return;
    const { store } = this.#d;
    const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
    const ops = this.#d.prepareOps?.(raw, store, this.#d.scope(), nowSec) ?? raw;
    this.#poolFullUntil.clear(); // the sweep frees addresses
    const done = store.commit(ops);
    const changed = this.#decided(ops, true);
    await done;
    this.#logEvents(eventsOf(changed));
    this.#notify(changed);
  }

  #enqueue(d: Datagram): void {
    if (this.#stopped) return;
    if (this.#queue.length >= MAX_QUEUE) {
      this.#d.metrics.drops.inc({ reason: "overload" });
      return;
    }
    this.#queue.push(d);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      // After the datagrams of this receive are all queued; no timer, no window: batches form
      // by themselves while a transaction is on the writer (group_commit.ts).
      queueMicrotask(() => this.#drain());
    }
  }

  /** Handles queued packets: replies that change nothing durable leave now, the rest wait. */
  #drain(): void {
    this.#drainScheduled = false;
    if (this.#stopped) return;
    const batch = this.#queue.length <= MAX_BATCH ? this.#queue : this.#queue.slice(0, MAX_BATCH);
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(MAX_BATCH);
    const { metrics, store } = this.#d;
    const config = this.#config;
    const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
    const scope = this.#d.scope();
    // A pool found full stays so only while nothing could have freed an address: not across a
    // change of serving scope (failover state), an expiry sweep, a RELEASE or a DECLINE.
    if (scope !== this.#fullScope) {
      this.#poolFullUntil.clear();
      this.#fullScope = scope;
    }
    const view: LeaseView = store;
    const early: Pending[] = [];
    const late: Pending[] = [];
    const changed: Lease[] = [];
    const events: LeaseEvent[] = [];
    // Lease events are info lines: not built at all when info is not logged (allocation at
    // 12,000 DORA/s is garbage-collection time).
    const logLeases = this.#d.log.infoEnabled?.() ?? true;
    /** The groups the late replies wait for (usually one: a batch joins one group). */
    const waits = new Set<Promise<void>>();
    for (const d of batch) {
      const decoded = decodeDhcp(d.data);
      if (!decoded.ok) {
        metrics.drops.inc({ reason: "malformed" });
        this.#logLimiter.warn("dhcp.drop.malformed", {
          from: d.fromIp,
          kind: decoded.error.kind,
          offset: decoded.error.offset,
          detail: decoded.error.message,
        });
        continue;
      }
      const packet = decoded.packet;
      metrics.packetsIn.inc({ type: MSG_NAMES[packet.options.get(53)?.[0] ?? 0] ?? "other" });
      // Relay coverage (failover): which relays forward clients to this box.
      if (packet.giaddr !== 0 && packet.op === 1) this.#d.relayHeard?.(packet.giaddr);
      const decision: Decision = handle(packet, {
        config,
        leases: view,
        nowSec,
        scope,
        poolCursor: this.#poolCursor,
        poolFullUntil: this.#poolFullUntil,
      });
      advancePoolCursor(this.#poolCursor, decision, nowSec, this.#poolFullUntil);
      if (decision.kind === "drop") {
        metrics.drops.inc({ reason: decision.reason });
        if (decision.reason === "no-free-address") {
          // An operator must hear of a pool running out (rate-limited: a flood of clients).
          this.#logLimiter.warn("dhcp.pool_exhausted", {
            mac: toHex(packet.chaddr.subarray(0, Math.min(packet.hlen, 16)), ":"),
            relay: formatIpv4(packet.giaddr),
            fix: "widen the pool, shorten lease times, or check for a DHCP starvation attack",
          });
        }
        this.#d.log.debug("dhcp.drop", { reason: decision.reason, xid: packet.xid });
        continue;
      }
      const decided = this.#d.prepareOps?.(decision.ops, view, scope, nowSec) ?? decision.ops;
      let committed: Promise<void>;
      try {
        committed = store.commit(decided, 1);
      } catch (e) {
        // A decision that breaks the binding-status rules is a bug: nothing of it is stored
        // and its reply is not sent (the client retries), the server keeps serving.
        metrics.drops.inc({ reason: "illegal-move" });
        this.#logLimiter.warn("lease.illegal_move", { xid: packet.xid, error: String(e) });
        continue;
      }
      let durable = decided.some(isDurable);
      if (durable) waits.add(committed);
      if (decided.some((op) => op.kind === "put" && op.lease.state !== "active")) {
        this.#poolFullUntil.clear();
      }
      const stored = this.#decided(decided, logLeases);
      for (const l of stored) changed.push(l);
      if (logLeases) {
        for (const e of leaseEventsOf(packet, decision, stored, this.#box)) {
          if (e.event === "lease.nak") this.#logEvents([e]);
          else events.push(e);
        }
      }
      if (decision.kind === "reply") {
        const bytes = encodeDhcp(decision.reply, {
          maxMessageSize: decision.maxMessageSize,
          parameterOrder: decision.parameterOrder,
        });
        const to = this.#route(decision.to, d);
        const pending = { data: bytes, ip: to.ip, port: to.port, type: decision.replyType };
        // An ACK that changes nothing (a retransmitted REQUEST) still promises its address:
        // when the change that bound it is not durable yet, the ACK waits for that group.
        const bound = decision.replyType === "ACK" && !durable
          ? store.pending?.(decision.reply.yiaddr)
          : undefined;
        if (bound !== undefined) {
          waits.add(bound);
          durable = true;
        }
        // Invariant 2 is about leases: a reply that changes nothing durable (an OFFER backed by
        // an in-memory hold, a NAK, an INFORM ACK) leaves now, not after the fsync; RFC 2131
        // §4.3.1 lets a server offer without recording the offer.
        (durable ? late : early).push(pending);
      }
    }
    this.#pace(early);
    if (waits.size > 0) {
      // Every group a late reply depends on: a commit without durable ops resolves at once
      // and must not release the ACKs of the batch before their fsync.
      Promise.all(waits).then(() => {
        this.#pace(late);
        this.#logEvents(events);
        this.#notify(changed);
      }, () => {/* counted and logged by the store's owner (fatal); the clients retry */});
    }
    if (this.#queue.length > 0 && !this.#drainScheduled) {
      // More than MAX_BATCH were waiting: let the event loop breathe (sends, timers) first.
      this.#drainScheduled = true;
      setTimeout(() => this.#drain(), 0);
    }
  }

  /**
   * Every reply leaves through this token bucket: in order, up to REPLY_BURST per REPLY_GAP_MS
   * (64,000 replies/s; at 32,000 this cap was what stopped the bench at 16,000 DORA/s). A
   * group's ACKs come free all at once, when its fsync returns, and a drained batch of
   * DISCOVERs makes up to MAX_BATCH OFFERs: after a slow fsync that is hundreds of replies to
   * one relay. Sent back to back they overflow the receiver's socket buffer (a relay's, or
   * perfdhcp's: measured as nearly all the loss of a pair at 5,000-7,000 DORA/s, where commits
   * took 2-25 ms); spread over a few milliseconds they do not. A new run starts with one
   * burst's allowance; when the event loop was busy for longer than a gap, the bucket has
   * filled for that time, so pacing never holds a reply back by more than a millisecond or two
   * behind the loop.
   */
  #pace(list: readonly Pending[]): void {
    if (list.length === 0) return;
    const running = this.#paced.length > 0; // a burst timer is pending
    for (const p of list) this.#paced.push(p);
    if (running) return;
    // A new run starts with one burst's allowance, however long the socket was idle.
    this.#pacedAtMs = performance.now() - REPLY_GAP_MS;
    this.#paceBurst();
  }

  #paceBurst(): void {
    const now = performance.now();
    const earned = Math.floor((now - this.#pacedAtMs) / REPLY_GAP_MS) * REPLY_BURST;
    // Halted: nothing more leaves. Stopping: everything left leaves now (the socket closes next).
    const end = this.#halted
      ? this.#pacedHead
      : this.#stopped
      ? this.#paced.length
      : Math.min(this.#pacedHead + Math.max(REPLY_BURST, earned), this.#paced.length);
    if (end > this.#pacedHead) {
      this.#sending = this.#sendAll(this.#paced.slice(this.#pacedHead, end)).catch(() => {});
    }
    this.#pacedHead = end;
    this.#pacedAtMs = now;
    if (!this.#stopped && end < this.#paced.length) {
      setTimeout(() => this.#paceBurst(), REPLY_GAP_MS);
    } else {
      this.#paced = [];
      this.#pacedHead = 0;
    }
  }

  /** Lease events at info, once true (an ACK's lease is on disk). */
  #logEvents(events: readonly LeaseEvent[]): void {
    for (const e of events) this.#d.log.info(e.event, e.props);
  }

  /**
   * The records ops just put, as decided (with their seq): for failover once durable, and for
   * the lease event log (always).
   */
  #decided(ops: readonly LeaseOp[], always = false): Lease[] {
    if (this.#d.onCommitted === undefined && !always) return [];
    const out: Lease[] = [];
    for (const op of ops) {
      if (op.kind !== "put") continue;
      const l = this.#d.store.get(op.lease.ip);
      if (l !== undefined) out.push(l);
    }
    return out;
  }

  #notify(changed: readonly Lease[]): void {
    if (changed.length > 0) this.#d.onCommitted?.(changed);
  }

  async #sendAll(out: readonly Pending[]): Promise<void> {
    if (out.length === 0) return;
    const { metrics } = this.#d;
    let failed: readonly number[];
    try {
      failed = await this.#d.transport.sendMany(out);
    } catch (e) {
      failed = out.map((_, i) => i);
      this.#logLimiter.warn("dhcp.send_failed", { packets: out.length, error: String(e) });
    }
    let f = 0;
    for (let i = 0; i < out.length; i++) {
      if (f < failed.length && failed[f] === i) {
        f++;
        metrics.sendErrors.inc();
        this.#logLimiter.warn("dhcp.send_failed", { to: out[i]!.ip, port: out[i]!.port });
        continue;
      }
      metrics.packetsOut.inc({ type: out[i]!.type });
    }
  }

  /** RFC 2131 §4.1 destinations onto this socket. */
  #route(to: Destination, from: Datagram): { ip: string; port: number } {
    const { dhcp } = this.#config;
    switch (to.kind) {
      case "relay": {
        const ip = formatIpv4(to.ip);
        // Relays send from port 67; a relay (or test harness) on another port gets its reply there.
        return { ip, port: from.fromIp === ip ? from.fromPort : 67 };
      }
      case "unicast":
        return { ip: formatIpv4(to.ip), port: dhcp.clientPort };
      case "broadcast":
      case "link-unicast":
        // No raw sockets: "If unicasting is not possible, the message MAY be sent as an IP
        // broadcast" (RFC 2131 §4.1).
        return { ip: this.#broadcastIp, port: dhcp.clientPort };
    }
  }

  #scheduleReclaim(): void {
    this.#reclaimTimer = this.#d.clock.after(RECLAIM_INTERVAL_MS, () => {
      if (this.#stopped) return;
      const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
      try {
        this.#d.poolWatch?.check(this.#d.store);
        // The index is the decided state: a lease renewed but not yet durable is not expired.
        const ops = reclaimExpired(this.#d.store, nowSec, 1000);
        if (ops.length > 0) {
          this.applyOps(ops).then(
            () => this.#d.log.info("dhcp.reclaim", { leases: ops.length }),
            (e) => this.#d.log.error("dhcp.reclaim_failed", { error: String(e) }),
          );
        }
      } catch (e) {
        this.#d.log.error("dhcp.reclaim_failed", { error: String(e) });
      }
      this.#scheduleReclaim();
    });
  }
}
