/**
 * The narrow storage seam. LeaseView is synchronous and read-only so that the DHCP core stays
 * synchronous. LeaseStore.commit is how every change is made while serving: decided in the
 * in-memory index at once, durable in a group commit behind it (group_commit.ts).
 */
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import type { BindingState, Lease } from "./lease.ts";
import type { LeaseOp } from "./ops.ts";
import { illegalMove } from "./transitions.ts";

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
   * Applies ops in order as ONE durable transaction before returning (boot, import, tests);
   * throws StoreError on I/O failure, and then nothing of the batch is applied. Not while
   * commits are pending (it would number its changes among theirs).
   */
  apply(ops: readonly LeaseOp[]): void;
  /**
   * Decides ops: every reader sees them when this returns, and the promise resolves once they
   * are durable (their group's transaction and fsync). A put that breaks the binding-status
   * rules (draft-12 §5.11, §7.1.3) throws IllegalMoveError and nothing of the call is applied.
   * weight is counted into the group's metrics (the DHCP loop: packets). A failed transaction
   * rejects, and is fatal (group_commit.ts).
   */
  commit(ops: readonly LeaseOp[], weight?: number): Promise<void>;
  /**
   * When a change to ip is decided but not yet durable, the promise that settles once it is
   * (a reply that promises the address waits for it); undefined when it is durable.
   */
  pending?(ip: Ipv4): Promise<void> | undefined;
  /** Waits until every change decided so far is durable (or failed). */
  drain?(): Promise<void>;
  /** Records with seq greater than afterSeq, in seq order (failover UPDREQ / backlog). */
  changedSince(afterSeq: number): readonly Lease[];
  close(): void;
}

export class StoreError extends Error {
  override name = "StoreError";
}

/** Thrown by LeaseStore.commit for a put that breaks Figure 5.11-1 / 7.1.3-1: a bug. */
export class IllegalMoveError extends StoreError {}

/**
 * Every put that reaches a store while serving is a legal binding-status move (draft-12 §5.11,
 * §7.1.3), checked against the decided state; throws before anything of the call is applied.
 */
export function checkMoves(ops: readonly LeaseOp[], view: LeaseView): void {
  let earlier: Map<Ipv4, BindingState> | undefined;
  for (const op of ops) {
    if (op.kind !== "put") continue;
    const ip = op.lease.ip;
    const held = earlier?.get(ip) ?? view.stateOf(ip);
    const why = illegalMove(held, op.lease.state, op.by ?? "this-server");
    if (why !== undefined) throw new IllegalMoveError(`lease ${formatIpv4(ip)}: ${why}`);
    (earlier ??= new Map()).set(ip, op.lease.state);
  }
}
