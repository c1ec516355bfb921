/**
 * The failover machine's data: the persisted snapshot, the events fed to transition() and the
 * effects it asks the driver to run (state.ts). Everything here is plain JSON-able data.
 */
import { SERVER_STATES, type ServerState } from "./options.ts";

export type FailoverRole = "primary" | "secondary";
export type PartnerState = ServerState | "unknown";

/** §9.3.2 step 6: what to do when the STARTUP timer expires without contact. */
export type StartupTimeoutPolicy =
  /** Go to the previous state and serve (good when partitions are rare). */
  | "previous-state"
  /** Stay in STARTUP, unresponsive, until the partner is reached. */
  | "wait"
  /** As previous-state, but a server with no failover record goes to PARTNER-DOWN (§9.3.2 step 1, last paragraph: newly commissioned server). */
  | "partner-down-if-new";

export interface FailoverSnapshot {
  readonly role: FailoverRole;
  readonly state: ServerState;
  /** start-time-of-state (§12.25) of state. */
  readonly sinceSec: number;
  /**
   * The state to resume: meaningful in STARTUP (§9.3.2 "previous-state"), PAUSED (§9.13.1) and
   * SHUTDOWN (§9.14.1, §9.14.2). Equals state otherwise.
   */
  readonly previousState: ServerState;
  readonly previousSinceSec: number;
  readonly partner: {
    readonly state: PartnerState;
    readonly startup: boolean;
    readonly sinceSec: number;
  };
  /** TCP up and CONNECT/CONNECTACK exchanged (§8.3 steps 1-2): STATE may be sent. */
  readonly connected: boolean;
  /** §8.3 step 3: also a STATE without the STARTUP flag received: "communications okay". */
  readonly commOk: boolean;
  /** Stable storage lost or never written: RECOVER asks with UPDREQALL (§9.5.2). */
  readonly storageLost: boolean;
  /** No previous failover record at boot (§9.3.2 step 1): first run. */
  readonly firstRun: boolean;
  /** MCLT; the secondary replaces it with the CONNECT value and keeps it (§7.8.2 step 7). */
  readonly mcltSec: number;
  /** §9.9.1, §10: COMMUNICATIONS-INTERRUPTED -> PARTNER-DOWN after this; 0 = never. */
  readonly safePeriodSec: number;
  readonly startupMs: number;
  readonly startupTimeout: StartupTimeoutPolicy;
  /** Last recorded time of operation (§9.3.2 step 5, §9.14.1); refreshed by "tick". */
  readonly lastOperatingSec: number;
  /** §9.3.2 step 1 time-of-failure, start of the RECOVER-WAIT wait (§9.6.2). */
  readonly timeOfFailureSec: number;
  readonly commInterruptedSec: number | null;
  /** Entry into PARTNER-DOWN: the MCLT rules of §5.2.1, §9.4.2 count from it (mclt.ts). */
  readonly partnerDownSec: number | null;
  readonly recoverWaitUntilSec: number | null;
  /** The longest lease this box can grant (config max_sec): the wait when no record is whole. */
  readonly longestLeaseSec?: number;
  /** The partner was in RECOVER too while this box recovered: its record may not be whole. */
  readonly partnerRecovering?: boolean;
  readonly updDoneReceivedSec: number | null;
  readonly updDoneSentSec: number | null;
}

export type FailoverEventBody =
  | { readonly type: "startup-timer-expired" }
  /** CONNECT/CONNECTACK done (§8.3 1-2). mcltSec: the primary's MCLT, on the secondary. */
  | { readonly type: "connected"; readonly mcltSec?: number }
  /** TCP lost, tReceive expired, DISCONNECT received (§8.3, §8.6). */
  | { readonly type: "disconnected" }
  /** A STATE message (§7.10.2); times already corrected for clock skew (§7.8.2 step 6). */
  | {
    readonly type: "partner-state";
    readonly state: ServerState;
    readonly startup: boolean;
    readonly startTimeSec: number;
  }
  /** UPDDONE received for our UPDREQ/UPDREQALL (§7.5.2). */
  | { readonly type: "updreq-done" }
  /** Every BNDUPD the partner's UPDREQ/UPDREQALL asked for is acked (§7.5.1). */
  | { readonly type: "updates-complete" }
  /** Operator: the partner is down (§9.8.4, §9.9.3, §9.11.3). */
  | { readonly type: "partner-down-command" }
  /** The safe-period timer fired (§9.9.3, §10). */
  | { readonly type: "auto-partner-down-timer" }
  /** The RECOVER-WAIT timer fired (§9.6.2). */
  | { readonly type: "mclt-expired" }
  /** Operator/driver: conflict resolution finished; same as UPDDONE in POTENTIAL-CONFLICT. */
  | { readonly type: "conflict-resolved" }
  | { readonly type: "shutdown-command" }
  | { readonly type: "pause-command" }
  /** Periodic: records the time of operation (§9.3.2 step 5, §9.6.2 discussion). */
  | { readonly type: "tick" };

export type FailoverEvent = FailoverEventBody & { readonly nowSec: number };
export type FailoverEventType = FailoverEventBody["type"];

export type TimerKind = "startup" | "safe-period" | "recover-wait";

/**
 * What the driver must do, in list order. persist-state always comes first (§9.2: record the
 * state in stable storage, then send STATE), then send-state, then the rest.
 */
export type Effect =
  | { readonly kind: "persist-state" }
  /** Send STATE built by stateMessageFields(next) (§7.10.1). */
  | { readonly kind: "send-state" }
  | { readonly kind: "send-updreq" }
  | { readonly kind: "send-updreqall" }
  /** xid: that of the partner's UPDREQ/UPDREQALL, which the driver tracks (§7.5). */
  | { readonly kind: "send-upddone" }
  /** Secondary on entering NORMAL (§9.8.1, §7.6). */
  | { readonly kind: "send-poolreq" }
  /** §9.8.1: resend every unacknowledged binding update (backlog.requeueAll()). */
  | { readonly kind: "resend-unacked" }
  | { readonly kind: "start-timer"; readonly timer: TimerKind; readonly ms: number }
  | { readonly kind: "cancel-timer"; readonly timer: TimerKind }
  | {
    readonly kind: "log";
    readonly level: "info" | "warning" | "error";
    readonly event: string;
    readonly message: string;
  };

export interface BootParams {
  readonly role: FailoverRole;
  readonly mcltSec: number;
  readonly safePeriodSec: number;
  readonly startupMs: number;
  readonly startupTimeout: StartupTimeoutPolicy;
  /** Operator says stable storage was lost at this time (§9.3.2 step 1, second paragraph). */
  readonly storageLostAtSec?: number;
  /** The longest lease this box can grant (the largest lease max_sec of its config). */
  readonly longestLeaseSec?: number;
  /**
   * Operator commissions a brand-new pair (`tandem run --new-pair`, refused when the store holds
   * leases): with no failover record, nothing was ever handed out, so the RECOVER-WAIT wait of
   * §9.6.2 is skipped. Without it, a box with no valid record waits MCLT from its start.
   */
  readonly newPair?: boolean;
}

/** Fields of the STATE message for a snapshot (§9.3.1: in STARTUP send previous state + flag). */
export function stateMessageFields(
  s: FailoverSnapshot,
): { serverState: ServerState; startup: boolean; startTimeOfStateSec: number } {
  return s.state === "startup"
    ? { serverState: s.previousState, startup: true, startTimeOfStateSec: s.previousSinceSec }
    : { serverState: s.state, startup: false, startTimeOfStateSec: s.sinceSec };
}

/**
 * Version of the stored snapshot format. A record of another version is not trusted: the box
 * boots as one without a record (RECOVER, and the MCLT wait, §9.3.2 step 1). Records written
 * before versions existed have the same fields as version 1 and are read as version 1.
 */
export const SNAPSHOT_VERSION = 1;

export function snapshotToJson(s: FailoverSnapshot): string {
  return JSON.stringify({ version: SNAPSHOT_VERSION, ...s });
}

const isState = (x: unknown): x is ServerState =>
  typeof x === "string" && (SERVER_STATES as readonly string[]).includes(x);
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isNumOrNull = (x: unknown) => x === null || isNum(x);

/** Parses a persisted snapshot; undefined when it is not one (treat as lost storage). */
export function snapshotFromJson(text: string): FailoverSnapshot | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const { version = SNAPSHOT_VERSION, ...o } = v as Record<string, unknown>;
  if (version !== SNAPSHOT_VERSION) return undefined;
  const p = o.partner as Record<string, unknown> | undefined;
  const ok = (o.role === "primary" || o.role === "secondary") && isState(o.state) &&
    isState(o.previousState) && isNum(o.sinceSec) && isNum(o.previousSinceSec) &&
    typeof p === "object" && p !== null && (isState(p.state) || p.state === "unknown") &&
    typeof p.startup === "boolean" && isNum(p.sinceSec) && typeof o.connected === "boolean" &&
    typeof o.commOk === "boolean" && typeof o.storageLost === "boolean" &&
    typeof o.firstRun === "boolean" && isNum(o.mcltSec) && isNum(o.safePeriodSec) &&
    isNum(o.startupMs) &&
    ["previous-state", "wait", "partner-down-if-new"].includes(o.startupTimeout as string) &&
    isNum(o.lastOperatingSec) && isNum(o.timeOfFailureSec) &&
    isNumOrNull(o.commInterruptedSec) && isNumOrNull(o.partnerDownSec) &&
    isNumOrNull(o.recoverWaitUntilSec) && isNumOrNull(o.updDoneReceivedSec) &&
    isNumOrNull(o.updDoneSentSec);
  return ok ? (o as unknown as FailoverSnapshot) : undefined;
}
