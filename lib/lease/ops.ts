/**
 * LeaseOp: the only way leases change. A Decision carries ops; the runtime applies all ops of
 * one batch of packets in one transaction (store.ts) before any reply leaves.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { Lease } from "./lease.ts";

export type LeaseOp =
  /**
   * Write the whole record (insert or replace). Persisted. by: who made the change, for the
   * legal-move check (lib/lease/transitions.ts): this server unless it is the partner's
   * accepted BNDUPD.
   */
  | { readonly kind: "put"; readonly lease: Lease; readonly by?: "partner" }
  /** Remove the record; the address returns to its pool's default state. Persisted. */
  | { readonly kind: "delete"; readonly ip: Ipv4 }
  /**
   * Hold an offered address for a client until untilSec (RFC 2131 §4.4.1). Memory only: a
   * restart forgets offers, which is safe because nothing was acknowledged.
   */
  | {
    readonly kind: "hold";
    readonly ip: Ipv4;
    readonly clientKey: string;
    readonly untilSec: number;
  }
  /** Drop a hold (the client chose another server). Memory only. */
  | { readonly kind: "unhold"; readonly ip: Ipv4 }
  /** Durable key/value (failover state, schema-independent metadata). Persisted. */
  | { readonly kind: "meta"; readonly key: string; readonly value: string };

/** True for ops that change the database (and so need a transaction); holds are memory-only. */
export const isDurable = (op: LeaseOp): boolean =>
  op.kind === "put" || op.kind === "delete" || op.kind === "meta";
