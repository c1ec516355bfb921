/**
 * The failover state machine of draft-ietf-dhc-failover-12 §9: ONE transition table
 * (TRANSITIONS) and a pure transition(snapshot, event) -> { next, effects, path }.
 *
 * How the draft is read (§9.2): only two pseudo-events need the partner's state, "comm-ok"
 * (communications became okay: a STATE without the STARTUP flag arrived) and "comm-failed".
 * When the partner's state CHANGES while communicating, the server takes comm-failed, then
 * comm-ok with the new partner state, without closing the connection (§9.2, §9.8.4). After
 * entering a state while communicating, its comm-ok row is looked up again, which covers the
 * "wait for other state" transitions (RECOVER-DONE, CONFLICT-DONE).
 *
 * The states (entry actions / what the server serves / exits):
 *
 * - STARTUP (§9.3): entry: start the STARTUP timer; STATE carries the previous state with the
 *   STARTUP flag (§9.3.1). Serves nobody. Exits: on the partner's first STATE, to the
 *   previous state (RECOVER or POTENTIAL-CONFLICT if the partner is in PARTNER-DOWN, §9.3.2
 *   step 5); on timer expiry per StartupTimeoutPolicy (step 6).
 * - NORMAL (§9.8): entry: resend unacked updates, secondary sends POOLREQ (§9.8.1). Serves
 *   renewals of everyone and new clients of its hash buckets (§9.8.2). Exits: comm-failed or
 *   unexpected partner change -> COMMUNICATIONS-INTERRUPTED; operator or partner SHUTDOWN ->
 *   PARTNER-DOWN (§9.8.4).
 * - COMMUNICATIONS-INTERRUPTED (§9.9): entry: start the safe-period timer if configured,
 *   alarm when coming from NORMAL (§9.9.1). Serves everyone, own pool only (§9.9.2). Exits:
 *   §9.9.3 list (comm-ok rows below), safe period or operator -> PARTNER-DOWN.
 * - PARTNER-DOWN (§9.4): entry: remember the time (MCLT rules, mclt.ts). Serves everyone,
 *   partner's addresses after MCLT (§9.4.2). Exits: §9.4.3; ignores STATEs with STARTUP set.
 * - POTENTIAL-CONFLICT (§9.10): entry: the primary sends UPDREQ, the secondary waits
 *   (§9.10.1). Serves nobody (§9.10.2). Exits: comm-failed -> RESOLUTION-INTERRUPTED; UPDDONE
 *   -> CONFLICT-DONE (primary) / NORMAL (secondary) (§9.10.3).
 * - RESOLUTION-INTERRUPTED (§9.11): entry: alarm. Serves everyone, own pool (§9.11.2). Exits:
 *   comm-ok -> POTENTIAL-CONFLICT; operator -> PARTNER-DOWN (§9.11.3).
 * - CONFLICT-DONE (§9.12): primary only. Serves everyone (§9.12.2). Exit: partner NORMAL ->
 *   NORMAL; stays on comm-failed (§9.12.3).
 * - RECOVER (§9.5): serves nobody (§9.5.1). On comm-ok sends UPDREQALL if storage was lost,
 *   else UPDREQ; UPDDONE -> RECOVER-WAIT; partner in POTENTIAL-CONFLICT, RESOLUTION-
 *   INTERRUPTED or CONFLICT-DONE -> POTENTIAL-CONFLICT (§9.5.2). Stays on comm-failed.
 * - RECOVER-WAIT (§9.6; code 254, isc-notes §3.2): entry: timer to time-of-failure + MCLT
 *   (time-of-failure is the boot time for a box without a record, 0 only for an operator-
 *   commissioned new pair, §9.6.2). Serves nobody. Exit: timer -> RECOVER-DONE, with or
 *   without communications.
 * - RECOVER-DONE (§9.7): serves renewals only (§9.7.1). Exit: partner NORMAL or RECOVER-DONE
 *   -> NORMAL (§9.7.2); partner POTENTIAL-CONFLICT -> POTENTIAL-CONFLICT (Figure 9.2-1).
 * - PAUSED (§9.13): entry: remember the previous state; serves nobody; left only by restart,
 *   which resumes the previous state.
 * - SHUTDOWN (§9.14): entry: remember previous state and time of operation; serves nobody; a
 *   partner in PARTNER-DOWN makes the previous state RECOVER (§9.14.2); left by restart.
 */
import { type ServerState } from "./options.ts";
import type {
  BootParams,
  Effect,
  FailoverEvent,
  FailoverEventType,
  FailoverRole,
  FailoverSnapshot,
  PartnerState,
} from "./snapshot.ts";

export type { Effect, FailoverEvent, FailoverSnapshot };

type On = FailoverEventType | "comm-ok" | "comm-failed";

export interface TransitionRow {
  readonly from: ServerState;
  readonly on: On;
  /** comm-ok rows: the partner states this row applies to (undefined = any). */
  readonly partner?: readonly ServerState[];
  readonly role?: FailoverRole;
  /** undefined = stay in `from` (the effects still run). */
  readonly to?: ServerState;
  readonly effects?: readonly ("send-updreq" | "request-update")[];
  readonly cite: string;
}

const N = "normal", CI = "communications-interrupted", PD = "partner-down";
const PC = "potential-conflict", RI = "resolution-interrupted", CD = "conflict-done";
const RV = "recover", RW = "recover-wait", RD = "recover-done";

/** THE transition table. First matching row wins; no row = no change. */
export const TRANSITIONS: readonly TransitionRow[] = [
  // Communications failed (Figure 9.2-1; states not listed allow both comm OK and failed).
  { from: N, on: "comm-failed", to: CI, cite: "§9.8.4" },
  { from: PC, on: "comm-failed", to: RI, cite: "§9.10.3" },
  // Communications okay, by the partner's state. No row = stay: COMM-INT with the partner in
  // RECOVER, RECOVER-WAIT (Figure 9.2-1) or PAUSED; RECOVER-WAIT always (§9.6.2).
  { from: CI, on: "comm-ok", partner: [N, CI, RD], to: N, cite: "§9.9.3" },
  { from: CI, on: "comm-ok", partner: [PD, PC, CD, RI], to: PC, cite: "§9.9.3" },
  { from: CI, on: "comm-ok", partner: ["shutdown"], to: PD, cite: "§9.9.3" },
  { from: PD, on: "comm-ok", partner: [N, CI, PD, PC, RI, CD], to: PC, cite: "§9.4.3" },
  { from: PD, on: "comm-ok", partner: [RD], to: N, cite: "§9.4.3" },
  { from: RI, on: "comm-ok", to: PC, cite: "§9.11.3" },
  { from: RV, on: "comm-ok", partner: [PC, RI, CD], to: PC, cite: "§9.5.2" },
  { from: RV, on: "comm-ok", effects: ["request-update"], cite: "§9.5.2" },
  { from: RD, on: "comm-ok", partner: [N, RD], to: N, cite: "§9.7.2" },
  { from: RD, on: "comm-ok", partner: [PC], to: PC, cite: "Figure 9.2-1" },
  { from: CD, on: "comm-ok", partner: [N], to: N, cite: "§9.12.3" },
  {
    from: PC,
    on: "comm-ok",
    partner: [CD],
    role: "secondary",
    effects: ["send-updreq"],
    cite: "§9.10.3",
  },
  // UPDDONE received.
  { from: RV, on: "updreq-done", to: RW, cite: "§9.5.2" },
  { from: PC, on: "updreq-done", role: "primary", to: CD, cite: "§9.10.3" },
  { from: PC, on: "updreq-done", role: "secondary", to: N, cite: "§9.10.3" },
  { from: PC, on: "conflict-resolved", role: "primary", to: CD, cite: "§9.10.3" },
  { from: PC, on: "conflict-resolved", role: "secondary", to: N, cite: "§9.10.3" },
  // Timers and operator.
  { from: RW, on: "mclt-expired", to: RD, cite: "§9.6.2" },
  { from: CI, on: "auto-partner-down-timer", to: PD, cite: "§9.9.3, §10" },
  { from: N, on: "partner-down-command", to: PD, cite: "§9.8.4" },
  // A box that restarted without reaching its partner waits in STARTUP (peer.ts); the operator
  // who knows the partner is down lets it serve (§9.3.2 step 6 choice, then §9.4).
  { from: "startup", on: "partner-down-command", to: PD, cite: "§9.3.2 step 6, §9.4" },
  { from: CI, on: "partner-down-command", to: PD, cite: "§9.9.3" },
  { from: RI, on: "partner-down-command", to: PD, cite: "§9.11.3" },
];

/** Looks up the first matching row. */
export function findRow(
  from: ServerState,
  on: On,
  role: FailoverRole,
  partner: PartnerState,
): TransitionRow | undefined {
  return TRANSITIONS.find((r) =>
    r.from === from && r.on === on && (r.role === undefined || r.role === role) &&
    (r.partner === undefined || (partner !== "unknown" && r.partner.includes(partner)))
  );
}

/** §9.3.2 step 2: the state a communications failure leads to (same state if none). */
export function commFailedState(s: ServerState): ServerState {
  return findRow(s, "comm-failed", "primary", "unknown")?.to ?? s;
}

export interface TransitionResult {
  readonly next: FailoverSnapshot;
  readonly effects: readonly Effect[];
  /** Every state entered, in order (empty when the state did not change). */
  readonly path: readonly ServerState[];
}

type Mut = { -readonly [K in keyof FailoverSnapshot]: FailoverSnapshot[K] };

class Run {
  readonly s: Mut;
  readonly effects: Effect[] = [];
  readonly path: ServerState[] = [];
  constructor(s: FailoverSnapshot, readonly now: number) {
    this.s = { ...s };
  }

  log(level: "info" | "warning" | "error", event: string, message: string): void {
    this.effects.push({ kind: "log", level, event, message });
  }

  /** Enters a state with its entry actions (see the state doc blocks above). */
  enter(to: ServerState, why: string, keepSince = false): void {
    const s = this.s;
    const from = s.state;
    if (to === from) return;
    if (to === CD && s.role === "secondary") return; // §9.12.1: never on a secondary
    if (from === CI) this.effects.push({ kind: "cancel-timer", timer: "safe-period" });
    if (from === RW) this.effects.push({ kind: "cancel-timer", timer: "recover-wait" });
    if (from === "startup") this.effects.push({ kind: "cancel-timer", timer: "startup" });
    if (to === "paused" || to === "shutdown") {
      if (from !== "startup" && from !== "paused" && from !== "shutdown") {
        s.previousState = from;
        s.previousSinceSec = s.sinceSec;
      }
      s.lastOperatingSec = this.now; // §9.14.1
    } else s.previousState = to;
    s.state = to;
    s.sinceSec = keepSince ? s.previousSinceSec : this.now;
    if (to !== "paused" && to !== "shutdown") s.previousSinceSec = s.sinceSec;
    this.path.push(to);
    this.log(
      to === RI || (to === CI && from === N) ? "warning" : "info",
      "failover.transition",
      `${from} -> ${to} (${why})`,
    );
    if (to === CI) {
      s.commInterruptedSec = this.now;
      if (s.safePeriodSec > 0) {
        this.effects.push({
          kind: "start-timer",
          timer: "safe-period",
          ms: s.safePeriodSec * 1000,
        });
      }
    }
    if (to !== RV && to !== RW && to !== "startup") s.partnerRecovering = false;
    if (to === PD && s.partnerDownSec === null) s.partnerDownSec = this.now;
    if (to !== PD && to !== "paused" && to !== "shutdown") s.partnerDownSec = null;
    if (to === N) {
      this.effects.push({ kind: "resend-unacked" });
      if (s.role === "secondary" && s.connected) this.effects.push({ kind: "send-poolreq" });
    }
    if (to === PC && s.role === "primary" && s.connected) {
      this.effects.push({ kind: "send-updreq" }); // §9.10.1
    }
    if (to === RW) {
      // §9.6.2: wait MCLT from the time of failure (boot() sets it, §9.3.2 step 1). MCLT is
      // enough when the partner's record is whole: no lease runs more than MCLT past what the
      // partner knows (§5.2.1). When the partner was recovering too, neither record is whole
      // (both lost, or neither ever ran): a lease either box gave may be known to its client
      // alone, for up to the longest lease (found by the random schedules: both boxes wiped in
      // turn, the pair back in NORMAL after MCLT, and an address still leased given away).
      const wait = s.partnerRecovering === true && s.timeOfFailureSec !== 0
        ? Math.max(s.mcltSec, s.longestLeaseSec ?? 0)
        : s.mcltSec;
      const until = s.timeOfFailureSec + wait;
      s.recoverWaitUntilSec = until;
      if (until <= this.now) this.enter(RD, "§9.6.2 wait already over");
      else {this.effects.push({
          kind: "start-timer",
          timer: "recover-wait",
          ms: (until - this.now) * 1000,
        });}
    }
  }

  /** Applies the row for (state, on), then settles "wait for other state" rows (§9.7.2, §9.12.3). */
  take(on: On): void {
    const row = findRow(this.s.state, on, this.s.role, this.s.partner.state);
    if (row === undefined) return;
    if (row.to !== undefined) this.enter(row.to, `${on}, ${row.cite}`);
    for (const e of row.effects ?? []) {
      if (!this.s.connected) continue;
      if (e === "send-updreq") this.effects.push({ kind: "send-updreq" });
      else this.effects.push({ kind: this.s.storageLost ? "send-updreqall" : "send-updreq" });
    }
    if (row.to !== undefined && on !== "comm-failed") this.settle();
  }

  settle(): void {
    for (let i = 0; i < 4 && this.s.commOk && !this.s.partner.startup; i++) {
      const row = findRow(this.s.state, "comm-ok", this.s.role, this.s.partner.state);
      if (row === undefined || row.to === undefined) {
        if (row !== undefined && this.path.length > 0) this.take("comm-ok");
        return;
      }
      this.enter(row.to, `partner ${this.s.partner.state}, ${row.cite}`);
    }
  }

  result(): TransitionResult {
    const changed = this.path.length > 0;
    if (changed && this.s.state !== "startup") this.s.lastOperatingSec = this.now;
    const timers = new Map<string, Effect>();
    const rest: Effect[] = [];
    for (const e of this.effects) {
      if (e.kind === "start-timer" || e.kind === "cancel-timer") timers.set(e.timer, e);
      else if (e.kind !== "send-state" && e.kind !== "persist-state") rest.push(e);
    }
    const head: Effect[] = [];
    if (changed || this.effects.some((e) => e.kind === "persist-state")) {
      head.push({ kind: "persist-state" });
    }
    if ((changed || this.effects.some((e) => e.kind === "send-state")) && this.s.connected) {
      head.push({ kind: "send-state" });
    }
    return { next: this.s, effects: [...head, ...timers.values(), ...rest], path: this.path };
  }
}

/** Leaves STARTUP on the partner's first STATE (§9.3.2 step 5). */
function leaveStartup(r: Run): void {
  const s = r.s;
  let target = s.previousState;
  if (s.partner.state === PD && target !== RV) {
    // A box still in RECOVER-WAIT had not served a client since it lost its record (its ticks
    // there are no operation): its store is not one to weigh against the partner's in
    // POTENTIAL-CONFLICT, so it recovers again; its wait still runs from its time of failure
    // (found by the random schedules: a box wiped, then restarted while the partner was in
    // PARTNER-DOWN, went to POTENTIAL-CONFLICT, then NORMAL, and gave away a lease it had made
    // before the wipe and never told the partner of).
    target = target === RW || s.partner.sinceSec > s.lastOperatingSec ? RV : PC;
  }
  r.enter(target, "§9.3.2 step 5", target === s.previousState);
  if (target === RW) rearmRecoverWait(r);
}

function rearmRecoverWait(r: Run): void {
  const until = r.s.recoverWaitUntilSec ?? r.now;
  if (until <= r.now) r.enter(RD, "§9.6.2 wait over during restart");
  else r.effects.push({ kind: "start-timer", timer: "recover-wait", ms: (until - r.now) * 1000 });
}

/** The pure transition function. Never throws; unknown combinations leave the state alone. */
export function transition(snapshot: FailoverSnapshot, event: FailoverEvent): TransitionResult {
  const r = new Run(snapshot, event.nowSec);
  const s = r.s;
  switch (event.type) {
    case "connected":
      s.connected = true;
      s.commOk = false;
      if (event.mcltSec !== undefined && s.role === "secondary" && event.mcltSec > 0) {
        s.mcltSec = event.mcltSec; // §7.8.2 step 7: the primary's MCLT, kept in storage
        r.effects.push({ kind: "persist-state" });
      }
      r.effects.push({ kind: "send-state" }); // §7.9.1, §7.9.2 step 8
      break;
    case "disconnected":
      s.connected = false;
      s.commOk = false;
      r.take("comm-failed");
      break;
    case "partner-state": {
      const prev = s.partner;
      s.partner = { state: event.state, startup: event.startup, sinceSec: event.startTimeSec };
      // Both recovering (§9.5): remembered until this box is done recovering (enter()).
      const recovering = s.state === RV || (s.state === "startup" && s.previousState === RV);
      if (recovering && event.state === RV) s.partnerRecovering = true;
      s.connected = true;
      if (s.state === "shutdown" && event.state === PD) {
        s.previousState = RV; // §9.14.2
        r.effects.push({ kind: "persist-state" });
        break;
      }
      if (s.state === "paused" || s.state === "shutdown") break;
      if (s.state === "startup") {
        leaveStartup(r);
        if (event.startup) break;
        s.commOk = true;
        r.take("comm-ok");
        break;
      }
      // §9.4.3 (generalised): a partner still in STARTUP reports only its previous state.
      if (event.startup) break;
      if (!s.commOk) {
        s.commOk = true;
        r.take("comm-failed"); // no-op unless a NORMAL/POTENTIAL-CONFLICT slipped through
        r.take("comm-ok");
      } else if (prev.state !== event.state || prev.startup) {
        // §9.2: a change of the partner's state = comm-failed, then comm-ok. Tried on a copy:
        // when it leads back to the same state nothing happened (no new since-time, no
        // re-entry effects) except the comm-ok row's own effects (§9.10.3 UPDREQ).
        const trial = new Run(s, event.nowSec);
        trial.take("comm-failed");
        trial.take("comm-ok");
        if (trial.s.state !== s.state) return trial.result();
        if (findRow(s.state, "comm-ok", s.role, s.partner.state)?.to === undefined) {
          r.take("comm-ok");
        }
      }
      break;
    }
    case "updreq-done":
      s.updDoneReceivedSec = event.nowSec;
      if (s.state === RV) s.storageLost = false;
      r.take("updreq-done");
      break;
    case "updates-complete":
      s.updDoneSentSec = event.nowSec;
      if (s.connected) r.effects.push({ kind: "send-upddone" });
      break;
    case "startup-timer-expired": {
      if (s.state !== "startup" || s.startupTimeout === "wait") break;
      const fresh = s.firstRun && s.startupTimeout === "partner-down-if-new";
      r.enter(fresh ? PD : s.previousState, "§9.3.2 step 6", !fresh);
      if ((s.state as ServerState) === RW) rearmRecoverWait(r);
      break;
    }
    case "mclt-expired":
      if (s.state === RW && (s.recoverWaitUntilSec ?? 0) > event.nowSec) break; // stale timer
      r.take("mclt-expired");
      break;
    case "auto-partner-down-timer":
      if (
        s.safePeriodSec <= 0 ||
        (s.commInterruptedSec ?? event.nowSec) + s.safePeriodSec > event.nowSec
      ) break;
      r.take("auto-partner-down-timer");
      break;
    case "shutdown-command":
      r.enter("shutdown", "operator");
      break;
    case "pause-command":
      if (s.state !== "shutdown") r.enter("paused", "operator");
      break;
    case "partner-down-command":
      // From STARTUP only a box that kept its record: one without (RECOVER/RECOVER-WAIT next)
      // cannot know what it handed out before, so no operator word lets it allocate (§9.5.1).
      // The exception is a box commissioned as new (`--new-pair`, refused on a store that holds
      // leases, so it has handed out nothing) that runs alone first, a staged install: §9.3.2
      // step 1 lets a server that never ran go to PARTNER-DOWN; the partner's addresses still
      // wait MCLT there (§9.4).
      if (
        s.state === "startup" && !(s.firstRun && s.timeOfFailureSec === 0) &&
        (s.storageLost || s.previousState === RV || s.previousState === RW)
      ) break;
      r.take("partner-down-command");
      break;
    case "tick":
      if (s.state !== "startup") {
        s.lastOperatingSec = event.nowSec;
        r.effects.push({ kind: "persist-state" });
      }
      break;
    default:
      r.take(event.type);
  }
  return r.result();
}

/**
 * Boot: a snapshot in STARTUP from the persisted one (or none), §9.3.2 steps 1-3. The driver
 * runs the effects (persist, start the STARTUP timer) and then connects (step 4).
 */
export function boot(
  persisted: FailoverSnapshot | undefined,
  p: BootParams,
  nowSec: number,
): TransitionResult {
  const lost = persisted === undefined || p.storageLostAtSec !== undefined;
  let previous: ServerState = RV;
  let previousSinceSec = nowSec;
  if (!lost && persisted !== undefined) {
    const resume = ["startup", "paused", "shutdown"].includes(persisted.state)
      ? persisted.previousState
      : persisted.state;
    previous = commFailedState(resume === "startup" ? RV : resume); // step 2
    previousSinceSec = previous === resume ? persisted.previousSinceSec : nowSec;
  }
  const next: FailoverSnapshot = {
    role: p.role,
    state: "startup",
    sinceSec: nowSec,
    previousState: previous,
    previousSinceSec,
    partner: { state: "unknown", startup: false, sinceSec: 0 },
    connected: false,
    commOk: false,
    storageLost: lost || (persisted?.storageLost ?? false),
    firstRun: persisted === undefined && p.storageLostAtSec === undefined,
    mcltSec: p.role === "secondary" && persisted !== undefined ? persisted.mcltSec : p.mcltSec,
    safePeriodSec: p.safePeriodSec,
    startupMs: p.startupMs,
    startupTimeout: p.startupTimeout,
    lastOperatingSec: persisted?.lastOperatingSec ?? 0,
    // §9.3.2 step 1: with no (valid) record the box cannot know what it handed out before,
    // so it waits MCLT from now in RECOVER-WAIT (§9.6.2) before allocating; only a pair the
    // operator commissions as new skips that (BootParams.newPair).
    // A box that lost its record and restarts before it recovered keeps the time of that loss
    // (found by the random schedules: a record lost, then a crash before the first tick, left
    // lastOperatingSec at 0 and so no MCLT wait, and the box re-issued a lease it had given).
    // A lastOperatingSec of 0 means never operating: unknown, so the wait runs from now.
    timeOfFailureSec: p.storageLostAtSec ??
      (persisted?.storageLost === true ? persisted.timeOfFailureSec : undefined) ??
      (persisted !== undefined && persisted.lastOperatingSec > 0
        ? persisted.lastOperatingSec
        : undefined) ??
      (p.newPair === true ? 0 : nowSec),
    commInterruptedSec: persisted?.commInterruptedSec ?? null,
    partnerDownSec: previous === PD ? persisted?.partnerDownSec ?? nowSec : null,
    recoverWaitUntilSec: previous === RW ? persisted?.recoverWaitUntilSec ?? null : null,
    ...(p.longestLeaseSec === undefined ? {} : { longestLeaseSec: p.longestLeaseSec }),
    partnerRecovering: (previous === RV || previous === RW) &&
      persisted?.partnerRecovering === true,
    updDoneReceivedSec: null,
    updDoneSentSec: null,
  };
  return {
    next,
    effects: [
      { kind: "persist-state" },
      { kind: "start-timer", timer: "startup", ms: p.startupMs },
      { kind: "log", level: "info", event: "failover.startup", message: `previous ${previous}` },
    ],
    path: ["startup"],
  };
}
