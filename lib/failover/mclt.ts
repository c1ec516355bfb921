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
 * Latest lease end a server may promise a client now: §5.2.1 "actual lease interval <
 * acknowledged potential lease interval + MCLT", widened by §7.1.5 to MCLT beyond max(received,
 * acked) potential expiration, and a binding the partner knows nothing of (acked 0) gets the
 * MCLT from now (Figure 5.2.1-1, §7.1.5 "only be able to renew the client for the MCLT").
 *
 * The same in every state that serves (§9.8.3, §9.9.2, §9.11.2, §9.12.2; in PARTNER-DOWN §9.4.2
 * lets a server drop it at the cost of its own storage-loss protection: Tandem keeps it). The
 * lease end already given is deliberately NOT part of the max: counting it let every renewal
 * outside NORMAL add another MCLT (a client renewing every few minutes ran hours past acked +
 * MCLT, outlasting the partner's PARTNER-DOWN wait, which counts from what it acked).
 * States that serve nobody: now (no lease may be promised).
 */
export function leaseEndCapSec(
  state: ServerState,
  lease: LeaseTimes | undefined,
  nowSec: number,
  mcltSec: number,
): number {
  switch (state) {
    case "normal":
    case "recover-done":
    case "communications-interrupted":
    case "resolution-interrupted":
    case "conflict-done":
    case "partner-down":
      return Math.max(nowSec, lease?.ackedPotentialEndSec ?? 0) + mcltSec;
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
