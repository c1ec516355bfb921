/**
 * Binding updates both ways (draft-12 §7.1-§7.2, §7.4-§7.5): lease changes queued for the
 * partner and sent as BNDUPDs within the max-unacked window (§8.4), BNDACKs recorded, the
 * partner's BNDUPDs judged (§7.1.3) and committed before the BNDACK, and UPDDONE once an
 * UPDREQ/UPDREQALL is fully acknowledged. The connection itself is FailoverPeer's (peer.ts).
 */
import type { Config } from "../config/config.ts";
import type { Lease } from "../lease/lease.ts";
import type { LeaseOp } from "../lease/ops.ts";
import type { LeaseStore } from "../lease/store.ts";
import type { Clock, TimerHandle } from "../clock.ts";
import type { EventLog } from "../event_log.ts";
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import { type FailoverMessage, packBindingUpdates } from "./messages.ts";
import { bindingFromLease, judgeBinding } from "./lease_sync.ts";
import type { FailoverMetrics } from "./failover_metrics.ts";
import type { FailoverRole } from "./snapshot.ts";
import { UpdateQueue } from "./update_queue.ts";
import { LogLimiter } from "../log_limiter.ts";
import { ownerStateOf } from "./serving.ts";
import { bndupdRule, endsOnAck } from "../lease/transitions.ts";

/** Bindings per BNDUPD: the draft allows many; ISC dhcpd 4.4 takes exactly one (issue #11). */
const BINDINGS_PER_MESSAGE = 64;
/** BNDACKs are recorded in one transaction per this interval, not an fsync per BNDACK. */
const ACK_WRITE_DELAY_MS = 50;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Outgoing = DistributiveOmit<FailoverMessage, "xid" | "timeSec"> & { xid?: number };

/** What BindingSync needs from the connection that carries it. */
export interface SyncHost {
  readonly store: LeaseStore;
  readonly config: Config;
  readonly clock: Clock;
  readonly log: EventLog;
  readonly metrics: FailoverMetrics;
  role(): FailoverRole;
  /** Partner clock minus ours (§7.8.2 step 6). */
  skewSec(): number;
  nowSec(): number;
  /** True while a handshaken link exists. */
  linkUp(): boolean;
  /** Identity of the current link (to drop answers meant for a link that is gone). */
  linkId(): unknown;
  send(m: Outgoing): number;
  drop(reason: string): void;
  /** Everything the partner's UPDREQ/UPDREQALL asked for is acknowledged (§7.5.1). */
  updatesComplete(): void;
}

export class BindingSync {
  readonly #h: SyncHost;
  readonly #queue = new UpdateQueue();
  /** ip -> seq of the version last sent in a BNDUPD. */
  readonly #sentSeq = new Map<Ipv4, number>();
  /** ip -> seq acknowledged (or rejected) by the partner, not yet recorded in the store. */
  readonly #acked = new Map<Ipv4, { seq: number; rejected: boolean }>();
  #ackTimer: TimerHandle | undefined;
  #partnerMaxUnacked = 1;
  #held = false;
  /** xid of the partner's UPDREQ/UPDREQALL we answer with UPDDONE when the queue drains. */
  #updReqXid: number | undefined;

  readonly #limited: LogLimiter;

  constructor(host: SyncHost) {
    this.#h = host;
    this.#limited = new LogLimiter(host.log, () => host.clock.monoMs());
    // Bindings changed but never acknowledged before a restart are sent again (§8.4).
    for (const l of host.store.all()) if (l.pendingUpdate) this.#queue.enqueue(l.ip);
  }

  get waiting(): number {
    return this.#queue.waiting;
  }

  get inFlight(): number {
    return this.#queue.inFlight;
  }

  /** max-unacked-bndupd the partner announced in CONNECT/CONNECTACK (§7.8, §7.9). */
  set partnerMaxUnacked(n: number) {
    this.#partnerMaxUnacked = Math.max(1, n);
  }

  /** Lease changes committed here: tell the partner (lazy update, §5.2). */
  enqueue(changed: readonly Lease[]): void {
    for (const l of changed) this.#queue.enqueue(l.ip);
    this.pump();
  }

  /** UPDREQALL (all bindings) or UPDREQ (the unacknowledged ones), §5.16. */
  /**
   * Holds our updates back until the partner's are in (release()). With ISC dhcpd, an update
   * left unacknowledged by a crash and resent at once can cross the binding dhcpd made alone
   * meanwhile, and dhcpd takes the older one over its own (issue #11): asked first (UPDREQ),
   * dhcpd's newer binding reaches our store before anything of ours is sent, and what we then
   * send is the current record.
   */
  hold(): void {
    this.#held = true;
  }

  release(why: "upddone" | "timeout"): void {
    if (!this.#held) return;
    this.#held = false;
    this.#h.log.info("failover.updates_released", { after: why, queued: this.#queue.waiting });
    this.pump();
  }

  updateRequested(xid: number, all: boolean): void {
    // The partner waits for our UPDDONE. A held secondary answers now; a held primary answers
    // once the secondary's own updates are in (its UPDDONE releases ours): the secondary always
    // answers, so the two never wait for each other, and what the primary sends is judged
    // against what the secondary did alone (§7.1.3) instead of crossing it.
    if (!this.#held || this.#h.role() !== "primary") this.#held = false;
    for (const l of this.#h.store.all()) if (all || l.pendingUpdate) this.#queue.enqueue(l.ip);
    this.#updReqXid = xid;
    this.pump();
  }

  /** The link went down: whatever was in flight is sent again later (§8.4). */
  linkLost(): void {
    this.#held = false;
    this.#queue.requeueInFlight();
    this.#updReqXid = undefined;
  }

  resendUnacked(): void {
    this.#queue.requeueInFlight();
  }

  stop(): void {
    this.#ackTimer?.cancel();
    this.writeAcks();
  }

  /** A BNDUPD from the partner: judge each binding (§7.1.3), commit, then BNDACK. */
  onBndupd(m: Extract<FailoverMessage, { kind: "bndupd" }>): void {
    const role = this.#h.role();
    const nowSec = this.#h.nowSec();
    const ops: LeaseOp[] = [];
    const acks: { ip: Ipv4; rejectReason?: number; message?: string }[] = [...(m.rejected ?? [])];
    for (const b of m.bindings) {
      const held = this.#h.store.get(b.ip);
      const v = judgeBinding(b, held, this.#h.config, role, nowSec, this.#h.skewSec());
      if (held?.pendingUpdate) {
        // §7.1.3: the partner's update crossed ours for the same address (ours not yet
        // acknowledged). The figure's rules decided which stands; say which, and why.
        this.#h.metrics.crossedUpdates.inc({ kept: v.accept ? "partner" : "ours" });
        this.#h.log.info("failover.update_crossed", {
          ip: formatIpv4(b.ip),
          ours: held.state,
          theirs: b.status,
          kept: v.accept ? "partner's (ours is withdrawn, not sent again)" : "ours",
          rule: v.accept ? bndupdRule(held.state, b.status) : v.message,
        });
      }
      if (v.accept) {
        ops.push({ kind: "put", lease: v.lease, by: "partner" });
        acks.push({ ip: b.ip });
      } else {
        this.#h.metrics.bindingsRejected.inc({ reason: String(v.rejectReason) });
        this.#limited.warn("failover.bndupd_rejected", {
          ip: formatIpv4(b.ip),
          reason: v.rejectReason,
          rule: v.message,
        });
        acks.push({ ip: b.ip, rejectReason: v.rejectReason, message: v.message });
      }
    }
    // Invariant 2: the BNDACK leaves only after the partner's update is committed. Commits go
    // through the store's writer in order, so BNDACKs leave in the order BNDUPDs came.
    const link = this.#h.linkId();
    this.#h.store.commit(ops).then(() => {
      this.#h.metrics.bindingsReceived.inc({}, ops.length);
      if (this.#h.linkId() === link) this.#h.send({ kind: "bndack", xid: m.xid, acks });
    }, (e) => {
      this.#h.log.error("failover.bndupd_commit_failed", { error: String(e) });
      if (this.#h.linkId() === link) this.#h.drop("cannot commit the partner's updates");
    });
  }

  /** A BNDACK for one of our BNDUPDs. */
  onBndack(m: Extract<FailoverMessage, { kind: "bndack" }>): void {
    const rejected = new Map(
      m.acks.filter((a) => a.rejectReason !== undefined).map((a) => [a.ip, a]),
    );
    for (const ip of this.#queue.acked(m.xid)) {
      const l = this.#h.store.get(ip);
      const sentSeq = this.#sentSeq.get(ip);
      this.#sentSeq.delete(ip);
      // Acknowledges the version sent; a newer change of the address is still pending.
      if (l === undefined || l.seq !== sentSeq) continue;
      const r = rejected.get(ip);
      if (r !== undefined) {
        this.#h.metrics.updatesRejectedByPartner.inc({ reason: String(r.rejectReason) });
        this.#h.log.warn("failover.update_rejected_by_partner", {
          ip: formatIpv4(ip),
          reason: r.rejectReason ?? 0,
        });
      }
      this.#acked.set(ip, { seq: l.seq, rejected: r !== undefined });
    }
    // Recording acks is lazy: one transaction per ACK_WRITE_DELAY_MS instead of an fsync per
    // BNDACK. Losing it in a crash is safe: the binding stays pendingUpdate and is sent again.
    if (this.#acked.size > 0 && this.#ackTimer === undefined) {
      this.#ackTimer = this.#h.clock.after(ACK_WRITE_DELAY_MS, () => this.writeAcks());
    }
    this.pump();
  }

  writeAcks(): void {
    this.#ackTimer = undefined;
    const ops: LeaseOp[] = [];
    for (const [ip, { seq, rejected }] of this.#acked) {
      // A newer change decided but not committed yet: it goes out in its own BNDUPD; recording
      // this ack on the old version would overwrite the new one.
      if (this.#h.store.pending?.(ip) !== undefined) continue;
      const l = this.#h.store.get(ip);
      if (l === undefined || l.seq !== seq) continue;
      // §7.1.5: the potential expiration sent is now acknowledged.
      const potential = Math.max(l.potentialEndSec, l.endSec);
      // §5.11 "Comm w/ Partner": an acked EXPIRED/RELEASED/RESET becomes available to its
      // owner, the same state the partner stored on accepting it (lease_sync.ts judgeBinding).
      // A rejected update changes nothing here: the partner holds newer information and
      // sends it (§7.1.3); an ended address stays out of use until then.
      const state = endsOnAck(l.state) && !rejected ? this.#ownerState(l) : l.state;
      ops.push({
        kind: "put",
        lease: {
          ...l,
          state,
          ...(state === l.state ? {} : { startSec: this.#h.nowSec() }),
          pendingUpdate: false,
          ackedPotentialEndSec: Math.max(l.ackedPotentialEndSec, potential),
        },
      });
    }
    this.#acked.clear();
    if (ops.length === 0) return;
    this.#h.store.commit(ops).catch((e) => {
      // Still pendingUpdate on disk: they are sent again after a restart. Nothing is lost.
      this.#h.log.warn("failover.ack_record_failed", { error: String(e), leases: ops.length });
    });
  }

  #ownerState(l: Lease): "free" | "backup" {
    const fo = this.#h.config.failover;
    return fo === undefined ? "free" : ownerStateOf(l.ip, l.subnetId, this.#h.config.subnets, fo);
  }

  /** Sends queued binding updates within the max-unacked window; UPDDONE when drained. */
  pump(): void {
    if (!this.#h.linkUp() || this.#held) return;
    const perMessage = this.#h.config.failover?.partner === "isc-dhcpd" ? 1 : BINDINGS_PER_MESSAGE;
    for (;;) {
      const ips = this.#queue.take(perMessage, this.#partnerMaxUnacked);
      if (ips.length === 0) break;
      const leases = ips.map((ip) => this.#h.store.get(ip)).filter((l): l is Lease =>
        l !== undefined
      );
      for (const l of leases) this.#sentSeq.set(l.ip, l.seq);
      const bindings = leases.map(bindingFromLease);
      if (bindings.length === 0) continue;
      const [first, ...rest] = packBindingUpdates(bindings);
      const sentIps = (first ?? []).map((b) => b.ip);
      this.#queue.putBack(rest.flat().map((b) => b.ip));
      const xid = this.#h.send({ kind: "bndupd", bindings: first ?? [] });
      this.#queue.sent(xid, sentIps);
      this.#h.metrics.bindingsSent.inc({}, sentIps.length);
    }
    if (this.#updReqXid !== undefined && this.#queue.idle) {
      this.#h.send({ kind: "upddone", xid: this.#updReqXid });
      this.#updReqXid = undefined;
      this.#h.updatesComplete();
    }
  }
}
