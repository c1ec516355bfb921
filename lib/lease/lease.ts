/**
 * The lease (binding) record and its states, named as draft-ietf-dhc-failover-12 §12.3 names
 * them. An address with no stored record is in its pool's default state (free, or backup when
 * failover gives it to the secondary): see ServingScope.defaultState.
 */
import type { Ipv4 } from "../wire/ipv4.ts";

/** draft-12 §12.3 binding-status (1 FREE .. 7 BACKUP). */
export type BindingState =
  | "free"
  | "active"
  | "expired"
  | "released"
  | "abandoned"
  | "reset"
  | "backup";

export const BINDING_STATES: readonly BindingState[] = [
  "free",
  "active",
  "expired",
  "released",
  "abandoned",
  "reset",
  "backup",
];

export interface Lease {
  readonly ip: Ipv4;
  readonly subnetId: number;
  readonly state: BindingState;
  /** Client identity key (client_key.ts): hex of option 61, else htype+chaddr. "" if none. */
  readonly clientKey: string;
  /** Hardware type and address (hex, no separators); "" if none. */
  readonly hwType: number;
  readonly hwAddr: string;
  /** Option 61 value as hex, "" when the client sent none. */
  readonly clientId: string;
  readonly hostname: string;
  readonly vendorClass: string;
  /** Option 82 value as hex, "" if none (replicated so the partner can serve identically). */
  readonly relayInfo: string;
  /** When the binding state was entered / the lease granted (seconds since epoch). */
  readonly startSec: number;
  /** Lease expiration time the client was told (or probation end for abandoned). */
  readonly endSec: number;
  /** Client last transaction time (draft-12 §12.6). */
  readonly clttSec: number;
  /**
   * Failover: potential expiration time acknowledged by the partner (draft-12 §5.2.1, "ackd
   * potential expiration"). 0 when standalone or never acknowledged.
   */
  readonly ackedPotentialEndSec: number;
  /** Failover: potential expiration time last sent to the partner. */
  readonly potentialEndSec: number;
  /** Failover: true while the partner has not acknowledged the latest change. */
  readonly pendingUpdate: boolean;
  /** Monotonic per-store change counter, set by the store on apply. */
  readonly seq: number;
}

/** A record for an address that holds no client: all client fields empty. */
export function emptyLease(
  ip: Ipv4,
  subnetId: number,
  state: BindingState,
  nowSec: number,
): Lease {
  return {
    ip,
    subnetId,
    state,
    clientKey: "",
    hwType: 0,
    hwAddr: "",
    clientId: "",
    hostname: "",
    vendorClass: "",
    relayInfo: "",
    startSec: nowSec,
    endSec: 0,
    clttSec: 0,
    ackedPotentialEndSec: 0,
    potentialEndSec: 0,
    pendingUpdate: false,
    seq: 0,
  };
}

/** True when the record binds its address to a client at time nowSec. */
export function isBound(l: Lease, nowSec: number): boolean {
  return l.state === "active" && l.endSec > nowSec;
}
