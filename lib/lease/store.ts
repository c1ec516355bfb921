/**
 * The narrow storage seam. LeaseView is synchronous and read-only so that the DHCP core stays
 * synchronous; LeaseStore.apply commits a batch of ops as one durable transaction.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { BindingState, Lease } from "./lease.ts";
import type { LeaseOp } from "./ops.ts";

export interface Hold {
  readonly ip: Ipv4;
  readonly clientKey: string;
  readonly untilSec: number;
}

export interface LeaseView {
  /** The stored record for an address, if any. */
  get(ip: Ipv4): Lease | undefined;
  /** The state of the stored record for an address, without building the record. */
  stateOf(ip: Ipv4): BindingState | undefined;
  /** Records whose clientKey equals key (any state), most recently changed first. */
  byClient(clientKey: string): readonly Lease[];
  /** The current offer hold on an address, if any (expired holds may be returned; check time). */
  hold(ip: Ipv4): Hold | undefined;
  /**
   * The address last held for this client's offer, if that hold is still recorded (it may have
   * expired; check hold(ip).untilSec). A retransmitted DISCOVER is offered the same address.
   */
  heldFor(clientKey: string): Ipv4 | undefined;
  /** Every stored record, in address order. */
  all(): Iterable<Lease>;
  /**
   * Up to limit records due for the reclaim sweep (dhcp/reclaim.ts): "active" or "abandoned"
   * with endSec at or before nowSec. Found without materialising the others: the sweep runs
   * every 10 s over stores of 100,000s of leases, on the packet path's thread.
   */
  dueForReclaim(nowSec: number, limit: number): readonly Lease[];
  /**
   * Calls fn with the address, subnet id and state of every record, in no particular order and
   * without a Lease object each (/status counts over 100,000s of leases).
   */
  forEachState(fn: (ip: Ipv4, subnetId: number, state: BindingState) => void): void;
  /** Number of stored records. */
  size(): number;
  /** Stored durable metadata value. */
  meta(key: string): string | undefined;
  /** Count of stored records per state in one subnet. */
  countByState(subnetId: number): Readonly<Record<BindingState, number>>;
}

export interface LeaseStore extends LeaseView {
  /**
   * Applies ops in order as ONE transaction; returns only after it is durable (fsync). Throws
   * StoreError on I/O failure, in which case nothing of the batch is applied.
   */
  apply(ops: readonly LeaseOp[]): void;
  /**
   * The same contract as apply(), but the durable write may happen off the event loop (the
   * runtime's per-packet path uses it so receiving goes on during the fsync).
   */
  commit(ops: readonly LeaseOp[]): Promise<void>;
  /**
   * True when a change to ip is decided but not yet committed (only stores that front a write
   * pipeline know; the plain stores have nothing pending).
   */
  pending?(ip: Ipv4): boolean;
  /** Records with seq greater than afterSeq, in seq order (failover UPDREQ / backlog). */
  changedSince(afterSeq: number): readonly Lease[];
  close(): void;
}

export class StoreError extends Error {
  override name = "StoreError";
}
