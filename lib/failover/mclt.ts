/**
 * Maximum Client Lead Time rules (draft-12 §5.2.1, §5.2.2, §7.1.5, §9.4.2, §9.9.2) as pure
 * functions of times in seconds.
 *
 * Storage note: Lease has endSec (told to the client), potentialEndSec (sent to the partner)
 * and ackedPotentialEndSec. §7.1.5 also names received-potential-expiration-time (what the
 * partner told us and we acked). Tandem folds it into ackedPotentialEndSec: on accepting a
 * BNDUPD, store max(ackedPotentialEndSec, received potential-expiration-time). Every rule below
 * uses max(acked, received), so nothing is lost (§7.1.5 "max( received..., acked... )").
 */
import type { ServerState } from "./options.ts";

/** The failover time fields of one binding (a subset of Lease). */
export interface LeaseTimes {
  /** lease-expiration-time told to the client. */
  readonly endSec: number;
  /** sent-potential-expiration-time. */
  readonly potentialEndSec: number;
  /** max(acked-potential-expiration-time, received-potential-expiration-time). */
  readonly ackedPotentialEndSec: number;
}

/**
 * Latest lease end a server may promise a client now (§5.2.1 "actual < acked potential +
 * MCLT", widened by §7.1.5 to max(received, acked) + MCLT, and never less than now + MCLT:
 * a new lease gets at most the MCLT, Figure 5.2.1-1).
 *
 * - NORMAL, RECOVER-DONE: MCLT beyond max(now, acked/received potential) (§9.8.3).
 * - COMMUNICATIONS-INTERRUPTED, RESOLUTION-INTERRUPTED, CONFLICT-DONE: also beyond the
 *   lease-expiration-time already given (§9.9.2, §9.11.2; §9.12.2 "similar to CI").
 * - PARTNER-DOWN: §9.4.2 lets a server drop the restriction at the cost of losing protection
 *   against its own storage loss; Tandem keeps it (same rule as COMMUNICATIONS-INTERRUPTED).
 * - States that serve nobody: now (no lease may be promised).
 */
export function leaseEndCapSec(
  state: ServerState,
  lease: LeaseTimes | undefined,
  nowSec: number,
  mcltSec: number,
): number {
  const acked = lease?.ackedPotentialEndSec ?? 0;
  switch (state) {
    case "normal":
    case "recover-done":
      return Math.max(nowSec, acked) + mcltSec;
    case "communications-interrupted":
    case "resolution-interrupted":
    case "conflict-done":
    case "partner-down":
      return Math.max(nowSec, acked, lease?.endSec ?? 0) + mcltSec;
    default:
      return nowSec;
  }
}

/** min(desired, cap), never in the past. */
export function capLeaseEndSec(
  state: ServerState,
  lease: LeaseTimes | undefined,
  desiredEndSec: number,
  nowSec: number,
  mcltSec: number,
): number {
  return Math.max(nowSec, Math.min(desiredEndSec, leaseEndCapSec(state, lease, nowSec, mcltSec)));
}

/**
 * potential-expiration-time to send in the BNDUPD after granting actualEndSec (§5.2.1
 * example, §7.1.5): now + the renewal (T1) part of the actual lease + the desired lease
 * interval, so that at the client's next renewal the partner already "leads" by a full lease.
 * Never below the actual end (§9.8.3: "at least the lease time").
 */
export function potentialEndToSendSec(
  nowSec: number,
  actualEndSec: number,
  desiredLeaseSec: number,
  t1Ratio = 0.5,
): number {
  const renewal = Math.round(Math.max(0, actualEndSec - nowSec) * t1Ratio);
  return Math.max(actualEndSec, nowSec + renewal + desiredLeaseSec);
}

/**
 * In PARTNER-DOWN, when an address that was the partner's available address (FREE on the
 * secondary, BACKUP on the primary) at entry may be allocated: MCLT after entry (§9.4.2,
 * §5.2.2 first case).
 */
export function partnerPoolUsableSec(partnerDownSec: number, mcltSec: number): number {
  return partnerDownSec + mcltSec;
}

/**
 * In PARTNER-DOWN, when an address bound (or once bound) to a client may go to a DIFFERENT
 * client: MCLT after max(lease end, sent, acked, received potential expiration) (§7.1.5,
 * §9.4.2), and never before MCLT after entering PARTNER-DOWN (§5.2.1 "the longer of").
 */
export function partnerDownReuseSec(
  lease: LeaseTimes,
  partnerDownSec: number,
  mcltSec: number,
): number {
  const known = Math.max(lease.endSec, lease.potentialEndSec, lease.ackedPotentialEndSec);
  return Math.max(partnerDownSec, known) + mcltSec;
}

/**
 * Whether an EXPIRED/RELEASED/RESET address may be given to another client (§5.2.2): outside
 * PARTNER-DOWN only once the partner has acked the change (pendingUpdate false); in
 * PARTNER-DOWN only after partnerDownReuseSec.
 */
export function mayReallocateSec(
  state: ServerState,
  lease: LeaseTimes & { readonly pendingUpdate: boolean },
  nowSec: number,
  mcltSec: number,
  partnerDownSec: number | null,
): boolean {
  if (state === "partner-down") {
    return nowSec >= partnerDownReuseSec(lease, partnerDownSec ?? nowSec, mcltSec);
  }
  return !lease.pendingUpdate;
}
