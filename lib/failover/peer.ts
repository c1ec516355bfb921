/**
 * One failover partner relationship, driven: the TCP link (draft-12 §8), CONNECT/CONNECTACK,
 * STATE, CONTACT keep-alives and the receive timer, binding updates both ways, UPDREQ/
 * UPDREQALL/UPDDONE, POOLREQ/POOLRESP, DISCONNECT. Every state change goes through
 * transition() (state.ts); this file only runs the effects it asks for. Time enters only
 * through the injected Clock; bytes only through the injected PeerNetwork.
 */
import type { Config, FailoverConfig } from "../config/config.ts";
import type { Lease } from "../lease/lease.ts";
import type { LeaseStore } from "../lease/store.ts";
import type { Clock, TimerHandle } from "../platform/clock.ts";
import type { EventLog } from "../platform/log.ts";
import type { PeerLink, PeerNetwork } from "../platform/peer_link.ts";
import { type DigestFn, encodeFailover, type FailoverMessage } from "./messages.ts";
import { FrameReader } from "./frame_reader.ts";
import { hmacSha256With } from "./hmac_sha256.ts";
import { REJECT } from "./options.ts";
import {
  boot,
  type Effect,
  type FailoverEvent,
  type FailoverSnapshot,
  transition,
} from "./state.ts";
import {
  type FailoverEventBody,
  snapshotFromJson,
  snapshotToJson,
  stateMessageFields,
  type TimerKind,
} from "./snapshot.ts";
import {
  checkConnect,
  connectAck,
  connectMessage,
  fingerprintIn,
  fingerprintOption,
} from "./handshake.ts";
import { BindingSync, type Outgoing } from "./binding_sync.ts";
import type { FailoverMetrics } from "./failover_metrics.ts";

export const SNAPSHOT_KEY = "failover.snapshot";
const STARTUP_MS = 2000;

export interface PeerDeps {
  readonly config: Config;
  readonly fo: FailoverConfig;
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly net: PeerNetwork;
  readonly log: EventLog;
  readonly metrics: FailoverMetrics;
  /** Fingerprint of the scope configuration (fingerprint.ts). */
  readonly fingerprint: string;
  /** Called after every state change, so the DHCP core's scope follows. */
  readonly onStateChange?: (s: FailoverSnapshot) => void;
}

export class FailoverPeer {
  readonly #d: PeerDeps;
  readonly #digest: DigestFn;
  #snap: FailoverSnapshot;
  #link: PeerLink | undefined;
  #reader: FrameReader | undefined;
  #handshaken = false;
  #xid = 1;
  #skewSec = 0;
  #lastRecvMs = 0;
  #lastSendMs = 0;
  #attachedMs = 0;
  #linkTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #backoffMs = 100;
  readonly #timers = new Map<TimerKind, TimerHandle>();
  readonly #sync: BindingSync;
  #partnerFingerprint: string | undefined;
  #tickTimer: TimerHandle | undefined;
  #listener: { close(): void } | undefined;
  #stopped = false;
  #sinceMs: number;

  constructor(deps: PeerDeps) {
    this.#d = deps;
    this.#digest = hmacSha256With(deps.fo.sharedSecret);
    const nowSec = this.#nowSec();
    const stored = deps.store.meta(SNAPSHOT_KEY);
    const persisted = stored === undefined ? undefined : snapshotFromJson(stored);
    const r = boot(persisted, {
      role: deps.config.role === "secondary" ? "secondary" : "primary",
      mcltSec: deps.fo.mcltSec,
      safePeriodSec: deps.fo.autoPartnerDownSec,
      startupMs: STARTUP_MS,
      startupTimeout: "previous-state",
    }, nowSec);
    this.#snap = r.next;
    this.#sinceMs = deps.clock.nowMs();
    this.#run(r.effects);
    // Bindings changed but never acknowledged before a restart are sent again (§8.4).
    this.#sync = new BindingSync({
      store: deps.store,
      config: deps.config,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
      role: () => this.#snap.role,
      skewSec: () => this.#skewSec,
      nowSec: () => this.#nowSec(),
      linkUp: () => this.#handshaken && this.#link !== undefined,
      linkId: () => this.#link,
      send: (m) => this.#send(m),
      drop: (reason) => this.#drop(reason),
      updatesComplete: () => this.#event({ type: "updates-complete" }),
    });
  }

  get snapshot(): FailoverSnapshot {
    return this.#snap;
  }

  get partnerFingerprint(): string | undefined {
    return this.#partnerFingerprint;
  }

  get fingerprintMatches(): boolean | undefined {
    return this.#partnerFingerprint === undefined
      ? undefined
      : this.#partnerFingerprint === this.#d.fingerprint;
  }

  get connected(): boolean {
    return this.#handshaken;
  }

  get lastContactAgeMs(): number | undefined {
    return this.#lastRecvMs === 0 ? undefined : this.#d.clock.nowMs() - this.#lastRecvMs;
  }

  get queueWaiting(): number {
    return this.#sync.waiting;
  }

  get queueInFlight(): number {
    return this.#sync.inFlight;
  }

  /** Starts listening (secondary) or connecting (primary), draft-12 §8.2. */
  start(): void {
    if (this.#snap.role === "secondary") {
      this.#listener = this.#d.net.listen((link) => this.#accept(link));
    } else {
      this.#connect();
    }
    this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#listener?.close();
    this.#reconnectTimer?.cancel();
    this.#tickTimer?.cancel();
    this.#linkTimer?.cancel();
    this.#sync.stop();
    for (const t of this.#timers.values()) t.cancel();
    if (this.#link !== undefined) {
      this.#send({
        kind: "disconnect",
        rejectReason: REJECT.unknownReason,
        message: "shutting down",
      });
      this.#link.close();
    }
  }

  /** The DHCP server committed these lease changes: tell the partner (lazy update, §5.2). */
  leasesCommitted(changed: readonly Lease[]): void {
    this.#sync.enqueue(changed);
  }

  /** Operator command (§9.8.4, §9.9.3, §9.11.3). */
  partnerDown(): { ok: boolean; message: string } {
    const before = this.#snap.state;
    this.#event({ type: "partner-down-command" });
    const ok = this.#snap.state === "partner-down";
    return {
      ok,
      message: ok
        ? `state ${before} -> partner-down; the partner's addresses become usable after MCLT`
        : `partner-down is not allowed from state ${before}`,
    };
  }

  // ---- state machine ----

  #nowSec(): number {
    return Math.floor(this.#d.clock.nowMs() / 1000);
  }

  #event(body: FailoverEventBody): void {
    const e = { ...body, nowSec: this.#nowSec() } as FailoverEvent;
    const before = this.#snap.state;
    const r = transition(this.#snap, e);
    this.#snap = r.next;
    if (r.next.state !== before) {
      this.#sinceMs = this.#d.clock.nowMs();
      this.#d.metrics.transitions.inc({ from: before, to: r.next.state });
      this.#d.log.info("failover.transition", {
        from: before,
        to: r.next.state,
        event: body.type,
        partner: r.next.partner.state,
      });
    }
    this.#run(r.effects);
    if (r.next.state !== before) this.#d.onStateChange?.(r.next);
    this.#sync.pump();
  }

  #run(effects: readonly Effect[]): void {
    for (const ef of effects) {
      switch (ef.kind) {
        case "persist-state":
          // Through the write pipeline, in order with every other write, so the event loop
          // never waits on an fsync. The STATE that follows may leave before the
          // fsync; a crash in between restarts from the previous state, which STARTUP handles
          // like any restart (§9.3.2).
          this.#d.store.commit([{
            kind: "meta",
            key: SNAPSHOT_KEY,
            value: snapshotToJson(this.#snap),
          }]).catch((e) => this.#d.log.error("failover.persist_failed", { error: String(e) }));
          break;
        case "send-state":
          this.#sendState();
          break;
        case "send-updreq":
          this.#send({ kind: "updreq" });
          break;
        case "send-updreqall":
          this.#send({ kind: "updreqall" });
          break;
        case "send-upddone":
          break; // sent by #pump when the partner's request is fully acknowledged
        case "send-poolreq":
          this.#send({ kind: "poolreq" });
          break;
        case "resend-unacked":
          this.#sync.resendUnacked();
          break;
        case "start-timer": {
          this.#timers.get(ef.timer)?.cancel();
          const kind = ef.timer;
          this.#timers.set(kind, this.#d.clock.after(ef.ms, () => this.#timerFired(kind)));
          break;
        }
        case "cancel-timer":
          this.#timers.get(ef.timer)?.cancel();
          this.#timers.delete(ef.timer);
          break;
        case "log": {
          const props = { message: ef.message, state: this.#snap.state };
          if (ef.level === "error") this.#d.log.error(ef.event, props);
          else if (ef.level === "warning") this.#d.log.warn(ef.event, props);
          else this.#d.log.info(ef.event, props);
          break;
        }
      }
    }
  }

  #timerFired(kind: TimerKind): void {
    this.#timers.delete(kind);
    if (this.#stopped) return;
    if (kind === "startup") this.#event({ type: "startup-timer-expired" });
    else if (kind === "safe-period") this.#event({ type: "auto-partner-down-timer" });
    else this.#event({ type: "mclt-expired" });
  }

  #tick(): void {
    this.#tickTimer = this.#d.clock.after(1000, () => {
      if (this.#stopped) return;
      this.#event({ type: "tick" });
      this.#tick();
    });
  }

  // ---- connection (§8) ----

  #connect(): void {
    if (this.#stopped || this.#link !== undefined) return;
    this.#d.net.connect().then((link) => {
      if (this.#stopped || this.#link !== undefined) return link.close();
      this.#attach(link);
      this.#send(connectMessage(this.#d.fo, this.#d.fingerprint));
    }, () => this.#scheduleReconnect());
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#snap.role === "secondary") return;
    this.#reconnectTimer?.cancel();
    // Back-off so a flapping link costs little: 100 ms doubling to 2 s, reset on a handshake.
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(2000, this.#backoffMs * 2);
    this.#reconnectTimer = this.#d.clock.after(delay, () => this.#connect());
  }

  #accept(link: PeerLink): void {
    const host = link.remote.replace(/:\d+$/, "");
    if (host !== this.#d.fo.partnerAddress && !link.remote.startsWith("memory-")) {
      this.#d.metrics.rejectedConnections.inc({ reason: "not-partner" });
      this.#d.log.warn("failover.connection_rejected", {
        remote: link.remote,
        reason: "not the partner address",
      });
      link.close();
      return;
    }
    if (this.#link !== undefined) {
      const heardMs = this.#d.clock.nowMs() - this.#lastRecvMs;
      if (this.#handshaken && heardMs <= this.#d.fo.receiveTimerMs) {
        // A live, authenticated link stays; a second connection is refused (§7.9.2, reason
        // 7), so garbage from the partner's address cannot knock the real link over.
        this.#d.metrics.rejectedConnections.inc({ reason: "duplicate" });
        link.close();
        return;
      }
      // Otherwise the old one is half-open (the partner restarted): the new one replaces it.
      this.#drop("replaced by a new connection");
    }
    this.#attach(link);
  }

  #attach(link: PeerLink): void {
    this.#link = link;
    this.#reader = new FrameReader({ digest: this.#digest });
    this.#handshaken = false;
    this.#lastRecvMs = this.#d.clock.nowMs();
    this.#lastSendMs = this.#lastRecvMs;
    this.#attachedMs = this.#lastRecvMs;
    link.start({
      data: (chunk) => {
        if (this.#link === link) this.#onData(chunk);
      },
      closed: (reason) => {
        if (this.#link === link) this.#lost(reason);
      },
    });
    this.#armLinkTimer();
  }

  /** CONTACT when idle (§7.11) and the receive timer (§8.3): both checked every tick. */
  #armLinkTimer(): void {
    this.#linkTimer?.cancel();
    const every = Math.max(20, Math.floor(this.#d.fo.contactIntervalMs / 2));
    this.#linkTimer = this.#d.clock.after(every, () => {
      if (this.#link === undefined || this.#stopped) return;
      const now = this.#d.clock.nowMs();
      if (!this.#handshaken && now - this.#attachedMs > 2 * this.#d.fo.receiveTimerMs) {
        // A connection that talks but never completes CONNECT/CONNECTACK is not a partner.
        this.#d.metrics.rejectedConnections.inc({ reason: "no-handshake" });
        this.#drop("no CONNECT/CONNECTACK in time");
        return;
      }
      if (now - this.#lastRecvMs > this.#d.fo.receiveTimerMs) {
        this.#d.metrics.receiveTimerExpired.inc();
        this.#send({
          kind: "disconnect",
          rejectReason: REJECT.noTraffic,
          message: "receive timer expired",
        });
        this.#drop("receive timer expired");
        return;
      }
      if (this.#handshaken && now - this.#lastSendMs >= this.#d.fo.contactIntervalMs) {
        this.#send({ kind: "contact" });
      }
      this.#armLinkTimer();
    });
  }

  #drop(reason: string): void {
    const link = this.#link;
    if (link === undefined) return;
    this.#lost(reason);
    link.close();
  }

  #lost(reason: string): void {
    if (this.#link === undefined) return;
    this.#link = undefined;
    this.#reader = undefined;
    this.#linkTimer?.cancel();
    const wasUp = this.#handshaken;
    this.#handshaken = false;
    this.#sync.linkLost();
    this.#d.log.warn("failover.link_down", { reason, state: this.#snap.state });
    if (wasUp) this.#event({ type: "disconnected" });
    this.#scheduleReconnect();
  }

  #onData(chunk: Uint8Array): void {
    this.#lastRecvMs = this.#d.clock.nowMs();
    for (const item of this.#reader?.push(chunk) ?? []) {
      if (!item.ok) {
        this.#d.metrics.badMessages.inc({ kind: item.error.kind });
        this.#d.log.warn("failover.bad_message", {
          kind: item.error.kind,
          detail: item.error.message,
        });
        if (item.error.fatal) {
          // Unauthenticated or garbage: drop the connection, never the process (§6.1, §11.1).
          this.#drop(`bad message: ${item.error.kind}`);
          return;
        }
        continue;
      }
      this.#d.metrics.received.inc({ type: item.msg.kind });
      this.#onMessage(item.msg);
      if (this.#link === undefined) return;
    }
  }

  // ---- messages (§7) ----

  #onMessage(m: FailoverMessage): void {
    const fo = this.#d.fo;
    switch (m.kind) {
      case "connect": {
        if (this.#snap.role !== "secondary") return this.#drop("CONNECT sent to a primary");
        const { reject, skewSec } = checkConnect(m, fo, this.#nowSec());
        if (reject !== undefined) {
          this.#d.metrics.rejectedConnections.inc({ reason: String(reject) });
          this.#d.log.warn("failover.connect_rejected", { reason: reject, skewSec });
          this.#send(connectAck(fo, m.xid, this.#d.fingerprint, reject));
          return this.#drop(`CONNECT rejected (${reject})`);
        }
        this.#skewSec = skewSec; // §7.8.2 step 6: correct every received time by it
        this.#sync.partnerMaxUnacked = m.maxUnackedBndupd;
        this.#notePartnerFingerprint(m.vendorOptions);
        this.#send(connectAck(fo, m.xid, this.#d.fingerprint));
        this.#handshake(m.mcltSec);
        return;
      }
      case "connectack": {
        if (m.rejectReason !== undefined) {
          this.#d.log.error("failover.connect_refused", {
            reason: m.rejectReason,
            message: m.message ?? "",
          });
          return this.#drop(`CONNECTACK reject ${m.rejectReason}`);
        }
        this.#skewSec = m.timeSec - this.#nowSec();
        this.#sync.partnerMaxUnacked = m.maxUnackedBndupd ?? 1;
        this.#notePartnerFingerprint(m.vendorOptions);
        this.#handshake(undefined);
        return;
      }
      case "state":
        this.#notePartnerFingerprint(m.vendorOptions);
        this.#event({
          type: "partner-state",
          state: m.serverState,
          startup: m.startup,
          startTimeSec: m.startTimeOfStateSec - this.#skewSec,
        });
        return;
      case "contact":
        return;
      case "bndupd":
        return this.#sync.onBndupd(m);
      case "bndack":
        return this.#sync.onBndack(m);
      case "updreqall":
        this.#sync.updateRequested(m.xid, true);
        return;
      case "updreq":
        this.#sync.updateRequested(m.xid, false);
        return;
      case "upddone":
        this.#event({ type: "updreq-done" });
        return;
      case "poolreq":
        // Ownership of FREE vs BACKUP is a pure function of the shared config (serving.ts), so
        // nothing moves: answer with how many addresses the secondary already owns (§7.7).
        this.#send({ kind: "poolresp", xid: m.xid, addressesTransferred: 0 });
        return;
      case "poolresp":
        return;
      case "disconnect":
        this.#d.log.warn("failover.partner_disconnected", {
          reason: m.rejectReason,
          message: m.message ?? "",
        });
        return this.#drop(`partner sent DISCONNECT (${m.rejectReason})`);
    }
  }

  #handshake(mcltSec: number | undefined): void {
    this.#handshaken = true;
    this.#backoffMs = 100;
    this.#d.log.info("failover.connected", {
      remote: this.#link?.remote ?? "",
      skewSec: this.#skewSec,
    });
    this.#event(mcltSec === undefined ? { type: "connected" } : { type: "connected", mcltSec });
    this.#sendState();
  }

  #notePartnerFingerprint(v: ReadonlyMap<number, Uint8Array> | undefined): void {
    const text = fingerprintIn(v);
    if (text === undefined) return;
    if (text !== this.#partnerFingerprint && text !== this.#d.fingerprint) {
      this.#d.metrics.fingerprintMismatches.inc();
      this.#d.log.error("failover.config_mismatch", {
        mine: this.#d.fingerprint,
        partner: text,
        fix: "give both boxes the same subnets, pools, reservations and options",
      });
    }
    this.#partnerFingerprint = text;
  }

  #sendState(): void {
    if (!this.#handshaken) return;
    const f = stateMessageFields(this.#snap);
    this.#send({ kind: "state", ...f, vendorOptions: fingerprintOption(this.#d.fingerprint) });
  }

  /** Encodes, signs and sends; returns the xid used. */
  #send(m: Outgoing): number {
    const xid = m.xid ?? this.#xid++;
    if (this.#link === undefined) return xid;
    const msg = { ...m, xid, timeSec: this.#nowSec() } as FailoverMessage;
    this.#link.send(encodeFailover(msg, { digest: this.#digest }));
    this.#lastSendMs = this.#d.clock.nowMs();
    this.#d.metrics.sent.inc({ type: msg.kind });
    return xid;
  }

  /** Time in the current state, for /status. */
  get stateAgeMs(): number {
    return this.#d.clock.nowMs() - this.#sinceMs;
  }
}
