/**
 * ServingScope: all the DHCP core knows of failover. Derived from the failover state by
 * lib/failover/serving.ts; the core never imports failover (ARCHITECTURE.md, seams).
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { BindingState, Lease } from "../lease/lease.ts";

export interface ServingScope {
  /**
   * Whether to answer this client at all. kind "new" is DISCOVER / REQUEST(SELECTING) /
   * INIT-REBOOT; "renew" is RENEWING/REBINDING/INFORM/RELEASE/DECLINE. hashKey is the RFC 3074
   * hash input (client id, else chaddr).
   */
  answers(hashKey: Uint8Array, secs: number, kind: "new" | "renew"): boolean;
  /** State of an address that has no stored record (free, or backup for the secondary's share). */
  defaultState(ip: Ipv4, subnetId: number): BindingState;
  /**
   * Whether this server may give an address in this available state to a new client now
   * (primary: free; secondary: backup; partner-down past MCLT: also the partner's).
   */
  mayAllocate(state: BindingState, lease: Lease | undefined, nowSec: number): boolean;
  /**
   * The longest lease end this server may promise now for this address (draft-12 §5.2.1 MCLT
   * rule). Standalone returns desiredEndSec unchanged.
   */
  capLeaseEnd(existing: Lease | undefined, desiredEndSec: number, nowSec: number): number;
}

/** A standalone server answers everyone and owns every free address. */
export const STANDALONE_SCOPE: ServingScope = {
  answers: () => true,
  defaultState: () => "free",
  mayAllocate: (state) => state === "free" || state === "expired" || state === "released",
  capLeaseEnd: (_existing, desiredEndSec) => desiredEndSec,
};
