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
import type { Clock, TimerHandle } from "../clock.ts";
import type { EventLog } from "../event_log.ts";
import type { PeerNetwork } from "./peer_link.ts";
import type { DigestFn, FailoverMessage } from "./messages.ts";
import { PeerConnection } from "./peer_connection.ts";
import { REJECT } from "./options.ts";
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
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
  identityIn,
  identityOption,
  pairProblem,
  type PartnerIdentity,
  tlsVerdict,
} from "./handshake.ts";
import { BindingSync, type Outgoing } from "./binding_sync.ts";
import { planPoolBalance } from "./pool_balance.ts";
import type { FailoverMetrics } from "./failover_metrics.ts";
import { RelayWatch } from "./relay_watch.ts";
import type { OneSided } from "./relay_coverage.ts";
import { ScopeAssembler, scopePieces, VENDOR_SCOPES, versionOf } from "./scope_sync.ts";

export const SNAPSHOT_KEY = "failover.snapshot";
const STARTUP_MS = 2000;
/** CONNECTACK refusals whose message says what to fix on this box (pair or TLS setup). */
const REFUSALS_WITH_REASON: readonly number[] = [
  REJECT.invalidPartner,
  REJECT.tlsNotSupported,
  REJECT.tlsNotConfigured,
  REJECT.tlsRequired,
];
/** How long our updates wait for an ISC partner's UPDDONE after a (re)connection. */
const PARTNER_UPDATES_WAIT_MS = 10_000;
/** How often a secondary in NORMAL sends POOLREQ besides on entering NORMAL (§7.7). */
const POOLREQ_EVERY_SEC = 300;

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
  /** Operator commissions a brand-new pair: no MCLT wait without a record (BootParams). */
  readonly newPair?: boolean;
  /** The message digest for a shared secret (§11.1): HMAC-SHA-256 (lib/platform/hmac_native). */
  readonly digestWith: (secret: string) => DigestFn;
  /** The first xid on the wire (peer_connection.ts); random in production. */
  readonly firstXid?: number;
  /** This box's scope tables as JSON text (config/scope_doc.ts), sent when the scopes differ. */
  readonly scopeText?: () => string | undefined;
  /** The partner's scope tables arrived whole (issue #12 item 2; failover_boot.ts decides). */
  readonly onPartnerScopes?: (text: string) => void;
}

export class FailoverPeer {
  readonly #d: PeerDeps;
  readonly #conn: PeerConnection;
  #snap: FailoverSnapshot;
  #skewSec = 0;
  #primaryHba: Uint8Array | undefined;
  /** xid of the UPDREQ sent at connection to an ISC partner, until its UPDDONE. */
  #holdXid: number | undefined;
  #holdTimer: { cancel(): void } | undefined;
  readonly #timers = new Map<TimerKind, TimerHandle>();
  readonly #sync: BindingSync;
  #partnerFingerprint: string | undefined;
  #tickTimer: TimerHandle | undefined;
  #stopped = false;
  #sinceMs: number;
  #poolreqSec = 0;
  #pairProblem: string | undefined;
  /** The last persist-state commit: a STATE waits for it (§9.2). */
  #persisted: Promise<void> = Promise.resolve();

  /** The config and scope fingerprint in force: the partner's scopes may replace them. */
  #config: Config;
  #fingerprint: string;
  readonly #scopes = new ScopeAssembler();
  /** The fingerprint whose scope document was sent on the current link. */
  #scopesSentFor: string | undefined;
  readonly #relays: RelayWatch;
  /** The partner's server id as it said (its DHCP-facing address, for relay alarms). */
  #partnerServerId: string | undefined;
  /** SHUTDOWN entered by `tandem maintenance start`, with the process still running. */
  #maintenance = false;

  constructor(deps: PeerDeps) {
    this.#d = deps;
    this.#config = deps.config;
    this.#fingerprint = deps.fingerprint;
    this.#conn = new PeerConnection({
      fo: deps.fo,
      clock: deps.clock,
      net: deps.net,
      log: deps.log,
      metrics: deps.metrics,
      digest: deps.fo.authentication === "none" ? undefined : deps.digestWith(deps.fo.sharedSecret),
      ...(deps.firstXid === undefined ? {} : { firstXid: deps.firstXid }),
      nowSec: () => this.#nowSec(),
      attached: () => {
        if (this.#snap.role === "primary") {
          // §7.8.1: TLS-request 2 (required) when this box has [failover.tls], else 0.
          this.#send(
            connectMessage(this.#d.fo, this.#identity(), this.#d.fo.tls === undefined ? 0 : 2),
          );
        }
      },
      message: (m) => this.#onMessage(m),
      lost: (reason, wasUp) => this.#lost(reason, wasUp),
      partnerHangsUp: () => {
        if (this.#snap.role !== "secondary") return;
        this.#notePairProblem(
          `the partner ${deps.fo.partnerAddress} keeps connecting and hanging up without a ` +
            "CONNECT, as a secondary does (draft §8.2): it is probably configured as secondary " +
            'too: set role = "primary" on one of the two boxes',
        );
      },
    });
    const nowSec = this.#nowSec();
    const stored = deps.store.meta(SNAPSHOT_KEY);
    const persisted = stored === undefined ? undefined : snapshotFromJson(stored);
    if (stored !== undefined && persisted === undefined) {
      deps.log.error("failover.snapshot_invalid", {
        message: "the stored failover state is unreadable or of another version; starting " +
          "as a box without a record: RECOVER, then MCLT before serving (draft §9.3.2, §9.6.2)",
      });
    } else if (persisted !== undefined && deps.newPair === true) {
      deps.log.info("failover.new_pair_ignored", {
        message: "--new-pair ignored: this box has a failover record",
      });
    }
    const r = boot(persisted, {
      ...this.#bootParams(),
      ...(deps.newPair === true && persisted === undefined ? { newPair: true } : {}),
    }, nowSec);
    this.#snap = r.next;
    this.#sinceMs = deps.clock.monoMs();
    this.#run(r.effects);
    // Bindings changed but never acknowledged before a restart are sent again (§8.4).
    const configNow = () => this.#config;
    this.#sync = new BindingSync({
      store: deps.store,
      get config() {
        return configNow();
      },
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
      role: () => this.#snap.role,
      skewSec: () => this.#skewSec,
      nowSec: () => this.#nowSec(),
      linkUp: () => this.#conn.up,
      linkId: () => this.#conn.link,
      send: (m) => this.#send(m),
      drop: (reason) => this.#drop(reason),
      updatesComplete: () => this.#event({ type: "updates-complete" }),
    });
    this.#relays = new RelayWatch({
      log: deps.log,
      alarmSec: deps.fo.relayAlarmSec,
      subnets: () => this.#config.subnets,
      nowSec: () => this.#nowSec(),
      send: (vendorOptions) => {
        if (deps.fo.partner !== "tandem" || !this.#conn.handshaken) return false;
        this.#send({ kind: "tandem", vendorOptions });
        return true;
      },
      partnerName: () => this.#partnerServerId ?? deps.fo.partnerAddress,
    });
  }

  /**
   * New scopes in force (the partner's, or a reload): the partner is told the new fingerprint
   * (STATE) and, when it still differs, sent this box's scope document.
   */
  setScopes(config: Config, fingerprint: string): void {
    this.#config = config;
    this.#fingerprint = fingerprint;
    this.#scopesSentFor = undefined;
    this.#relays.subnetsChanged();
    this.#sendState();
    this.#offerScopes();
    this.#d.onStateChange?.(this.#snap);
  }

  /**
   * Issue #12 item 2: when the two boxes' scope fingerprints differ, each sends its scope
   * document once per link and version (Tandem partners only): the secondary takes the
   * primary's; either can then say which keys differ.
   */
  #offerScopes(): void {
    const text = this.#d.scopeText?.();
    if (
      text === undefined || this.#d.fo.partner !== "tandem" || !this.#conn.handshaken ||
      this.#partnerFingerprint === undefined || this.#partnerFingerprint === this.#fingerprint ||
      this.#scopesSentFor === this.#fingerprint
    ) return;
    this.#scopesSentFor = this.#fingerprint;
    const pieces = scopePieces(text, versionOf(this.#fingerprint));
    for (const piece of pieces) {
      this.#send({ kind: "tandem", vendorOptions: new Map([[VENDOR_SCOPES, piece]]) });
    }
    this.#d.log.info("failover.scopes_sent", { bytes: text.length, messages: pieces.length });
  }

  /** A client was heard through relay giaddr (relay coverage, relay_watch.ts). */
  relayHeard(giaddr: Ipv4): void {
    this.#relays.heard(giaddr);
  }

  /** Relays heard by one box only (issue #12 item 4), each with the operator's sentence. */
  get relayAlarms(): readonly (OneSided & { readonly text: string })[] {
    return this.#relays.alarms.map((o) => ({ ...o, text: this.#relays.text(o) }));
  }

  #bootParams() {
    return {
      role: this.#config.role === "secondary" ? "secondary" as const : "primary" as const,
      mcltSec: this.#d.fo.mcltSec,
      longestLeaseSec: Math.max(
        this.#config.leaseTimes.maxSec,
        ...this.#config.subnets.map((s) => s.leaseTimes.maxSec),
      ),
      safePeriodSec: this.#d.fo.autoPartnerDownSec,
      startupMs: STARTUP_MS,
      // §9.3.2 step 6 leaves the choice to the implementation. A box that restarts without
      // reaching its partner cannot know whether the partner went to PARTNER-DOWN meanwhile
      // and, MCLT later, began handing out this box's addresses; resuming the previous state
      // then binds addresses twice (found by the random schedules). So it waits in STARTUP,
      // serving nobody, until it reaches the partner or the operator says the partner is down.
      startupTimeout: "wait" as const,
    };
  }

  /** In maintenance (`tandem maintenance start`): SHUTDOWN entered while the process runs. */
  get inMaintenance(): boolean {
    return this.#maintenance;
  }

  /**
   * `tandem maintenance start`: the planned handover of SIGTERM (handover(), draft §9.14: owed
   * updates first, then SHUTDOWN, stored and announced, the partner in PARTNER-DOWN at once),
   * but the process stays up: it answers no DHCP client (§9.14.2), keeps the link, and stores
   * the updates the partner sends while it serves alone, so little is left to recover.
   */
  async maintenanceStart(): Promise<{ ok: boolean; message: string }> {
    const before = this.#snap.state;
    if (this.#maintenance || before === "shutdown") {
      return { ok: false, message: "already in maintenance (SHUTDOWN)" };
    }
    if (before === "startup") {
      return { ok: false, message: "in STARTUP: not serving, nothing to hand over" };
    }
    const result = await this.handover();
    this.#maintenance = this.#snap.state === "shutdown";
    return { ok: this.#maintenance, message: result };
  }

  /**
   * `tandem maintenance stop`: §9.14.3 leaves SHUTDOWN "by being restarted", so the boot steps
   * run again here on the stored record (previous state RECOVER when the partner took over,
   * §9.14.2) and the link is made again, CONNECT and STATE as after a restart: RECOVER, the
   * partner's updates, then NORMAL (through RECOVER-WAIT where the draft requires it).
   */
  maintenanceStop(): { ok: boolean; message: string } {
    const before = this.#snap.state;
    if (!this.#maintenance || (before !== "shutdown" && before !== "paused")) {
      return { ok: false, message: `not in maintenance (state ${before})` };
    }
    this.#maintenance = false;
    const r = boot(this.#snap, this.#bootParams(), this.#nowSec());
    this.#d.log.info("failover.transition", {
      from: before,
      to: r.next.state,
      event: "maintenance-stop",
      message: `${before} -> startup (maintenance over, §9.14.3: as a restart; previous ` +
        `state ${r.next.previousState})`,
    });
    this.#snap = r.next;
    this.#sinceMs = this.#d.clock.monoMs();
    this.#run(r.effects);
    this.#conn.drop("maintenance over: connecting again as after a restart");
    return {
      ok: true,
      message: `${before} -> startup; reconnecting to the partner, then ${r.next.previousState}`,
    };
  }

  /** The HBA the primary sent in CONNECT (a secondary's load balancing), once received. */
  get primaryHba(): Uint8Array | undefined {
    return this.#primaryHba;
  }

  get snapshot(): FailoverSnapshot {
    return this.#snap;
  }

  get partnerFingerprint(): string | undefined {
    return this.#partnerFingerprint;
  }

  /** Why this pair is unsafe (both primary, same server id, different scopes), if it is. */
  get pairProblem(): string | undefined {
    return this.#pairProblem;
  }

  get fingerprintMatches(): boolean | undefined {
    return this.#partnerFingerprint === undefined
      ? undefined
      : this.#partnerFingerprint === this.#fingerprint;
  }

  get connected(): boolean {
    return this.#conn.handshaken;
  }

  /** The current link runs over TLS (draft §11.2). */
  get linkSecured(): boolean {
    return this.#conn.secured;
  }

  get lastContactAgeMs(): number | undefined {
    const last = this.#conn.lastRecvMs;
    return last === 0 ? undefined : this.#d.clock.monoMs() - last;
  }

  get queueWaiting(): number {
    return this.#sync.waiting;
  }

  get queueInFlight(): number {
    return this.#sync.inFlight;
  }

  /** Starts listening (secondary) or connecting (primary), draft-12 §8.2. */
  start(): void {
    this.#conn.start(this.#snap.role);
    this.#tick();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tickTimer?.cancel();
    this.#sync.stop();
    for (const t of this.#timers.values()) t.cancel();
    this.#conn.stop();
  }

  /** The DHCP server committed these lease changes: tell the partner (lazy update, §5.2). */
  leasesCommitted(changed: readonly Lease[]): void {
    this.#sync.enqueue(changed);
  }

  /** Operator command (§9.8.4, §9.9.3, §9.11.3). */
  partnerDown(): { ok: boolean; message: string } {
    const before = this.#snap.state;
    this.#event({ type: "partner-down-command" });
    const after = this.#snap.state;
    if (after === "partner-down") {
      return {
        ok: true,
        message:
          `state ${before} -> partner-down; the partner's addresses become usable after MCLT`,
      };
    }
    if (after !== before) {
      // §9.4.3: PARTNER-DOWN while the partner is heard from (NORMAL) goes straight on to
      // POTENTIAL-CONFLICT, which the pair resolves (§9.10) back to NORMAL.
      return {
        ok: true,
        message: `state ${before} -> partner-down -> ${after}: the partner is still in ` +
          "contact, so the pair resolves its bindings and returns to normal (draft §9.4.3, §9.10)",
      };
    }
    return { ok: false, message: `partner-down is not allowed from state ${before}` };
  }

  /**
   * A planned stop (SIGTERM), draft §9.14: the binding updates still owed go first (up to half
   * of waitMs), then SHUTDOWN is entered, stored (with the previous state and the last time
   * operational) and announced. A partner in communication moves to PARTNER-DOWN at once
   * (§9.8.4, §9.9.3) and takes over without waiting out its receive timer; this box waits up to
   * the rest of waitMs for its STATE saying so (§9.14.2 "SHOULD wait for a few seconds"), and
   * then restarts in RECOVER (§9.14.2). Returns what happened, in words, for the log.
   */
  async handover(waitMs = 3000): Promise<string> {
    const clock = this.#d.clock;
    const start = clock.monoMs();
    const until = (cond: () => boolean, ms: number) =>
      new Promise<boolean>((resolve) => {
        const end = clock.monoMs() + ms;
        const check = () => {
          if (cond()) return resolve(true);
          if (this.#stopped || clock.monoMs() >= end) return resolve(cond());
          clock.after(10, check);
        };
        check();
      });
    const before = this.#snap.state;
    if (this.#stopped) return "stopped already: nothing to hand over";
    if (before === "startup" || before === "shutdown") {
      return `stopping in ${before}: nothing to hand over`;
    }
    const connected = this.#conn.handshaken;
    const flushed = !connected ||
      await until(() => this.#sync.waiting === 0 && this.#sync.inFlight === 0, waitMs / 2);
    this.#event({ type: "shutdown-command" });
    await this.#persisted.catch(() => {});
    if (!connected) return `${before} -> shutdown; the partner is not connected`;
    const taken = await until(
      () => this.#snap.partner.state === "partner-down",
      Math.max(0, waitMs - (clock.monoMs() - start)),
    );
    const ms = Math.round(clock.monoMs() - start);
    return `${before} -> shutdown in ${ms} ms; ` +
      (flushed ? "every binding update acknowledged; " : "binding updates still unacknowledged; ") +
      (taken
        ? "the partner is in PARTNER-DOWN and serves alone"
        : "the partner did not confirm PARTNER-DOWN in time");
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
      this.#sinceMs = this.#d.clock.monoMs();
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
          // never waits on an fsync.
          this.#persisted = this.#d.store.commit([{
            kind: "meta",
            key: SNAPSHOT_KEY,
            value: snapshotToJson(this.#snap),
          }]);
          this.#persisted.catch((e) =>
            this.#d.log.error("failover.persist_failed", { error: String(e) })
          );
          break;
        case "send-state": {
          // §9.2: the state is in stable storage before the STATE announcing it leaves.
          const link = this.#conn.link;
          const fields = stateMessageFields(this.#snap);
          this.#persisted.then(() => {
            if (this.#conn.link === link) this.#sendState(fields);
          }, () => {/* not stored: not announced */});
          break;
        }
        case "send-updreq":
          this.#send({ kind: "updreq" });
          break;
        case "send-updreqall":
          this.#send({ kind: "updreqall" });
          break;
        case "send-upddone":
          break; // sent by #pump when the partner's request is fully acknowledged
        case "send-poolreq":
          this.#sendPoolreq();
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
      this.#relays.tick();
      // §7.7: besides on entering NORMAL, the secondary asks for its share now and then, so a
      // reserve used up by long-lived clients is refilled without a state change.
      const now = this.#nowSec();
      if (
        this.#snap.role === "secondary" && this.#snap.state === "normal" && this.#conn.handshaken &&
        now - this.#poolreqSec >= POOLREQ_EVERY_SEC
      ) this.#sendPoolreq();
      // An ISC dhcpd secondary never sends POOLREQ: the primary gives it its BACKUP share
      // unasked, at once in NORMAL and then as often (as dhcpd's own primary does).
      if (
        this.#d.fo.partner === "isc-dhcpd" && this.#snap.role === "primary" &&
        this.#snap.state === "normal" && this.#conn.handshaken &&
        now - this.#poolreqSec >= POOLREQ_EVERY_SEC
      ) {
        this.#poolreqSec = now;
        void this.#rebalance();
      }
      this.#tick();
    });
  }

  #sendPoolreq(): void {
    this.#poolreqSec = this.#nowSec();
    this.#send({ kind: "poolreq" });
  }

  /** The link is gone (peer_connection.ts): in-flight updates go again later (§8.4). */
  #lost(reason: string, wasUp: boolean): void {
    this.#sync.linkLost();
    this.#relays.linkLost();
    this.#scopesSentFor = undefined;
    this.#d.log.warn("failover.link_down", { reason, state: this.#snap.state });
    if (wasUp) this.#event({ type: "disconnected" });
  }

  #drop(reason: string): void {
    this.#conn.drop(reason);
  }

  // ---- messages (§7) ----

  #onMessage(m: FailoverMessage): void {
    const fo = this.#d.fo;
    if (!this.#conn.handshaken && m.kind !== "connect" && m.kind !== "connectack") {
      // §7.8-§7.9: nothing but CONNECT/CONNECTACK is acted on before the handshake, so an
      // update captured on another connection and replayed here never reaches the store.
      this.#d.metrics.rejectedConnections.inc({ reason: "before-handshake" });
      return this.#drop(`${m.kind} before CONNECT/CONNECTACK`);
    }
    if (this.#conn.handshaken) this.#remeasureSkew(m.timeSec);
    switch (m.kind) {
      case "connect": {
        // §8.2: only a primary sends CONNECT. One arriving at a primary means two primaries,
        // or a mismatched pair: refused, with the reason, on both sides (never NORMAL).
        const tls = tlsVerdict(m.tlsRequest, fo.tls !== undefined, this.#conn.secured);
        const problem = this.#snap.role !== "secondary"
          ? pairProblem(this.#mine(), { role: "primary" }, fo.partnerAddress)
          : tls.problem ?? this.#checkIdentity(identityIn(m.vendorOptions));
        const { reject, skewSec } = problem !== undefined
          ? { reject: tls.reject ?? REJECT.invalidPartner, skewSec: 0 }
          : checkConnect(m, fo, this.#nowSec());
        if (reject !== undefined) {
          if (problem !== undefined) this.#notePairProblem(problem);
          this.#d.metrics.rejectedConnections.inc({ reason: String(reject) });
          this.#d.log.warn("failover.connect_rejected", { reason: reject, skewSec });
          this.#send(connectAck(fo, m.xid, this.#identity(), reject, problem, tls.tlsReply));
          // The partner closes on reading the refusal; closing first could lose it on the way
          // (it says what is wrong). A link never handshaken is dropped by its timer anyway.
          return;
        }
        if (tls.tlsReply === 1) {
          // §7.8.2 step 3: accept, go into TLS at once; the primary then sends its CONNECT
          // again inside TLS (§11.2), and that one completes the handshake.
          this.#send(connectAck(fo, m.xid, this.#identity(), undefined, undefined, 1));
          void this.#conn.upgrade();
          return;
        }
        this.#notePairProblem(undefined);
        this.#skewSec = skewSec; // §7.8.2 step 6: correct every received time by it
        this.#sync.partnerMaxUnacked = m.maxUnackedBndupd;
        // §7.8.2: the primary's HBA decides load balancing (ISC meaning, hash.ts).
        if (m.hba?.length === 32) this.#primaryHba = m.hba;
        this.#send(connectAck(fo, m.xid, this.#identity(), undefined, undefined, tls.tlsReply));
        if (m.mcltSec !== fo.mcltSec) {
          // §7.8.2 step 7: the secondary uses the primary's MCLT; a different mclt_sec in this
          // box's file is a drift the operator should hear of (it also shows in check-config).
          this.#d.log.warn("failover.mclt_differs", {
            mine: fo.mcltSec,
            primary: m.mcltSec,
            using: "the primary's (draft §7.8.2)",
            fix: "set the same mclt_sec on both boxes (or use one pair file)",
          });
        }
        this.#handshake(m.mcltSec);
        return;
      }
      case "connectack": {
        if (m.xid !== this.#conn.connectXid) {
          // §7.9: a CONNECTACK answers this link's CONNECT; any other is a replay.
          this.#d.metrics.refusedMessages.inc({ reason: "unasked" });
          return this.#drop("CONNECTACK for a CONNECT not sent on this link");
        }
        const problem = this.#checkIdentity(identityIn(m.vendorOptions)) ??
          (REFUSALS_WITH_REASON.includes(m.rejectReason ?? -1) && m.message !== undefined
            ? `the partner refused this box: ${m.message}`
            : undefined);
        if (problem !== undefined) this.#notePairProblem(problem);
        if (m.rejectReason !== undefined) {
          this.#d.log.error("failover.connect_refused", {
            reason: m.rejectReason,
            message: m.message ?? "",
          });
          return this.#drop(`CONNECTACK reject ${m.rejectReason}`);
        }
        if (problem !== undefined) {
          this.#send({ kind: "disconnect", rejectReason: REJECT.invalidPartner, message: problem });
          return this.#drop("unsafe pair");
        }
        if (!this.#conn.secured && fo.tls !== undefined) {
          if (m.tlsReply !== 1) {
            // §7.8.2 table: TLS required here, and the partner will not use it.
            this.#notePairProblem(
              "this box requires TLS on the failover link and the partner accepted without it: " +
                "configure [failover.tls] on both boxes, or on neither",
            );
            this.#send({ kind: "disconnect", rejectReason: REJECT.tlsNotSupported });
            return this.#drop("partner will not use TLS");
          }
          // §11.2: TLS now, then CONNECT again inside it (without TLS-request).
          void this.#conn.upgrade().then((ok) => {
            if (ok) this.#send(connectMessage(fo, this.#identity(), undefined));
          });
          return;
        }
        this.#notePairProblem(undefined);
        this.#skewSec = m.timeSec - this.#nowSec();
        this.#sync.partnerMaxUnacked = m.maxUnackedBndupd ?? 1;
        this.#handshake(undefined);
        return;
      }
      case "state": {
        const problem = this.#checkIdentity(identityIn(m.vendorOptions));
        if (problem !== undefined) {
          this.#notePairProblem(problem);
          this.#send({ kind: "disconnect", rejectReason: REJECT.invalidPartner, message: problem });
          return this.#drop("unsafe pair");
        }
        this.#event({
          type: "partner-state",
          state: m.serverState,
          startup: m.startup,
          startTimeSec: m.startTimeOfStateSec - this.#skewSec,
        });
        return;
      }
      case "contact":
        return;
      case "tandem": {
        this.#relays.received(m.vendorOptions);
        const piece = m.vendorOptions.get(VENDOR_SCOPES);
        const whole = piece === undefined ? undefined : this.#scopes.push(piece);
        if (whole !== undefined) this.#d.onPartnerScopes?.(whole.text);
        return;
      }
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
        if (m.xid === this.#holdXid) {
          // The answer to our own connection-time UPDREQ (ISC partner), not to the state
          // machine's request (RECOVER's UPDREQALL): it releases our updates, nothing more.
          this.#holdXid = undefined;
          this.#holdTimer?.cancel();
          return this.#sync.release("upddone");
        }
        this.#event({ type: "updreq-done" });
        return;
      case "poolreq":
        return this.#answerPoolreq(m.xid);
      case "poolresp":
        this.#d.log.info("failover.pool_response", { transferred: m.addressesTransferred });
        return;
      case "disconnect":
        this.#d.log.warn("failover.partner_disconnected", {
          reason: m.rejectReason,
          message: m.message ?? "",
        });
        return this.#drop(`partner sent DISCONNECT (${m.rejectReason})`);
    }
  }

  /**
   * §7.7: the primary gives FREE addresses to the secondary until it holds its share again
   * (pool_balance.ts), records them as BACKUP through the pipeline (so no DHCP decision can
   * take one meanwhile), sends their BNDUPDs, and answers with the count. A secondary, or a
   * primary outside NORMAL, moves nothing.
   */
  #answerPoolreq(xid: number): void {
    const link = this.#conn.link;
    const reply = (n: number) => {
      if (this.#conn.link === link) this.#send({ kind: "poolresp", xid, addressesTransferred: n });
    };
    void this.#rebalance().then(reply);
  }

  /** The FREE -> BACKUP moves of pool_balance.ts, stored then sent; resolves to the count. */
  async #rebalance(): Promise<number> {
    if (this.#snap.role !== "primary" || this.#snap.state !== "normal") return 0;
    const plan = planPoolBalance(this.#config.subnets, this.#d.fo, this.#d.store, this.#nowSec());
    if (plan.moves.length === 0) return 0;
    try {
      await this.#d.store.commit(plan.moves.map((lease) => ({ kind: "put" as const, lease })));
    } catch (e) {
      this.#d.log.error("failover.persist_failed", { error: String(e) });
      return 0;
    }
    this.#sync.enqueue(plan.moves);
    this.#d.log.info("failover.pool_rebalanced", {
      transferred: plan.moves.length,
      pools: plan.pools.map((p) =>
        `${p.subnetId}: backup ${p.secondaryAvailable}/${p.target}, free ${p.primaryAvailable}`
      ).join("; "),
    });
    return plan.moves.length;
  }

  #handshake(mcltSec: number | undefined): void {
    this.#conn.markHandshaken();
    this.#offerScopes();
    this.#d.log.info("failover.connected", {
      remote: this.#conn.link?.remote ?? "",
      skewSec: this.#skewSec,
    });
    // ISC dhcpd: its bindings first, then ours (BindingSync.hold says why); UPDDONE, or a
    // partner that never answers within PARTNER_UPDATES_WAIT_MS, releases ours.
    const isc = this.#d.fo.partner === "isc-dhcpd";
    if (isc) this.#sync.hold();
    // The "connected" transition asks for STATE (§7.9), sent once the state is stored.
    this.#event(mcltSec === undefined ? { type: "connected" } : { type: "connected", mcltSec });
    if (isc) {
      this.#holdXid = this.#send({ kind: "updreq" });
      this.#holdTimer?.cancel();
      this.#holdTimer = this.#d.clock.after(
        PARTNER_UPDATES_WAIT_MS,
        () => this.#sync.release("timeout"),
      );
    }
  }

  /**
   * §5.10, §7.8.2 step 6: every message's time field is the partner's clock when it was sent,
   * so the offset is re-measured from each one, not only at CONNECT: an NTP step on either box
   * mid-connection corrects received times from the next message on (1 s resolution; transit
   * time on a local link is well under that).
   */
  #remeasureSkew(partnerSec: number): void {
    const skew = partnerSec - this.#nowSec();
    if (Math.abs(skew - this.#skewSec) >= 5) {
      this.#d.log.info("failover.clock_offset", { from: this.#skewSec, to: skew });
    }
    this.#skewSec = skew;
  }

  #mine() {
    return {
      fingerprint: this.#fingerprint,
      serverId: formatIpv4(this.#config.serverId),
      role: this.#snap.role,
    };
  }

  #identity(): Map<number, Uint8Array> {
    // A legacy partner sees only what the draft defines (issue #11): no Tandem options.
    if (this.#d.fo.partner === "isc-dhcpd") return new Map();
    const m = this.#mine();
    return identityOption(m.fingerprint, m.serverId, m.role);
  }

  /** Records what the partner says it is; the pair's problem, if it is an unsafe pair. */
  #checkIdentity(id: PartnerIdentity): string | undefined {
    if (id.serverId !== undefined) this.#partnerServerId = id.serverId;
    const fp = id.fingerprint;
    if (fp !== undefined) {
      if (fp !== this.#partnerFingerprint && fp !== this.#fingerprint) {
        // Not a refusal: the boxes swap their scope documents (#offerScopes), the secondary
        // takes the primary's, and until the fingerprints match no new client is served
        // (failover_boot.ts) and both say which keys differ.
        this.#d.metrics.fingerprintMismatches.inc();
        this.#d.log.warn("failover.config_mismatch", {
          mine: this.#fingerprint,
          partner: fp,
          action: this.#snap.role === "secondary"
            ? "taking the primary's scopes when they arrive"
            : "sending this box's scopes to the secondary",
        });
      } else if (fp === this.#fingerprint && this.#partnerFingerprint !== fp) {
        this.#d.log.info("failover.config_match", { fingerprint: fp });
      }
      const before = this.#partnerFingerprint;
      this.#partnerFingerprint = fp;
      // Whether the scopes match decides what the DHCP core may serve (failover_boot.ts).
      if (before !== fp) this.#d.onStateChange?.(this.#snap);
      if (this.#conn.handshaken) this.#offerScopes();
    }
    return pairProblem(this.#mine(), id, this.#d.fo.partnerAddress);
  }

  /** An unsafe pair is logged once per change, shown on /status and /readyz, and serves no
   * new client (failover_boot.ts) until a clean handshake clears it. */
  #notePairProblem(problem: string | undefined): void {
    if (problem === this.#pairProblem) return;
    this.#pairProblem = problem;
    if (problem !== undefined) {
      this.#d.log.error("failover.pair_refused", { problem });
      this.#d.metrics.pairRefused.inc();
    } else this.#d.log.info("failover.pair_accepted", {});
    this.#d.onStateChange?.(this.#snap);
  }

  #sendState(f = stateMessageFields(this.#snap)): void {
    if (!this.#conn.handshaken) return;
    this.#send({ kind: "state", ...f, vendorOptions: this.#identity() });
  }

  #send(m: Outgoing): number {
    return this.#conn.send(m);
  }

  /** Time in the current state, for /status. */
  get stateAgeMs(): number {
    return this.#d.clock.monoMs() - this.#sinceMs;
  }
}
