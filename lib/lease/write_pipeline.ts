/**
 * The one way lease changes reach the store while Tandem serves: group commit with one
 * transaction at a time. Everything decided while a transaction runs joins the next one, so an
 * idle box commits each change at once and a busy one shares one fsync among hundreds.
 *
 * Every writer (the DHCP loop, failover's BNDUPD/BNDACK handling, the expiry sweep, the state
 * record) decides against `view`: the store plus every change decided but not yet committed.
 * Deciding against the store alone would let a write based on an old version of a lease land
 * after a newer one and undo it (a renewal lost, then the address given to a second client).
 *
 * ARCHITECTURE.md invariant 2 stays with the callers: whatever must wait for durability (an
 * ACK, a BNDACK) waits for the promise of the group its changes joined.
 */
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import type { BindingState, Lease } from "./lease.ts";
import type { LeaseOp } from "./ops.ts";
import { illegalMove } from "./transitions.ts";
import { PendingView } from "./pending_view.ts";
import { type LeaseStore, type LeaseView, StoreError } from "./store.ts";

interface Group {
  readonly view: PendingView;
  readonly ops: LeaseOp[];
  /** What the callers counted into it (the DHCP loop: packets). */
  weight: number;
  readonly settled: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export interface PipelineHooks {
  nowMs(): number;
  /** A transaction committed: its weight (packets) and how long it took. */
  committed?(weight: number, ms: number): void;
  /** A transaction failed: nothing of it (or decided on top of it) is stored. */
  failed?(error: unknown, weight: number): void;
}

export class WritePipeline {
  readonly #store: LeaseStore;
  /** The group being filled: decided, its transaction not started. */
  #open: Group | undefined;
  /** The group whose transaction runs. */
  #committing: Group | undefined;
  readonly #hooks: PipelineHooks;

  constructor(store: LeaseStore, hooks: PipelineHooks) {
    this.#store = store;
    this.#hooks = hooks;
  }

  get store(): LeaseStore {
    return this.#store;
  }

  /** The store with every decided change, committed or not. Valid until the next add(). */
  get view(): LeaseView {
    return this.#group().view;
  }

  /** True when a change to ip is decided but not yet committed. */
  pending(ip: Ipv4): boolean {
    return (this.#open?.view.touches(ip) ?? false) ||
      (this.#committing?.view.touches(ip) ?? false);
  }

  /** True while nothing is waiting or committing. */
  get idle(): boolean {
    return this.#open === undefined && this.#committing === undefined;
  }

  /**
   * Adds ops to the open group and returns its promise: resolved once they are committed (and
   * in the store's index), rejected if that transaction, or the one before it, failed.
   * Start the transaction with kick() once the current burst of decisions is added.
   */
  add(ops: readonly LeaseOp[], weight = 0): Promise<void> {
    checkMoves(ops, this.view);
    const g = this.#group();
    g.weight += weight;
    g.view.add(ops);
    for (const op of ops) g.ops.push(op);
    return g.settled;
  }

  /** Starts the open group's transaction now unless one is running (then it follows it). */
  kick(): void {
    if (this.#committing !== undefined || this.#open === undefined) return;
    const g = this.#open;
    this.#open = undefined;
    this.#committing = g;
    const t0 = this.#hooks.nowMs();
    this.#store.commit(g.ops).then(() => {
      // The store now holds g's changes: the open group reads straight through to it.
      this.#open?.view.rebase(this.#store);
      if (g.ops.length > 0) this.#hooks.committed?.(g.weight, this.#hooks.nowMs() - t0);
      this.#committing = undefined;
      g.resolve();
      this.kick();
    }, (e) => {
      // What was decided on top of the failed group may depend on it: it fails too.
      const next = this.#open;
      this.#open = undefined;
      this.#committing = undefined;
      this.#hooks.failed?.(e, g.weight + (next?.weight ?? 0));
      g.reject(e);
      next?.reject(e);
    });
  }

  /** Waits until everything added so far is committed or failed. */
  async drain(): Promise<void> {
    while (!this.idle) {
      this.kick();
      await (this.#committing ?? this.#open)?.settled.catch(() => {});
    }
  }

  #group(): Group {
    if (this.#open === undefined) {
      let resolve!: () => void, reject!: (e: unknown) => void;
      const settled = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A group nobody awaits must not become an unhandled rejection.
      settled.catch(() => {});
      this.#open = {
        view: new PendingView(this.#committing?.view ?? this.#store),
        ops: [],
        weight: 0,
        settled,
        resolve,
        reject,
      };
    }
    return this.#open;
  }
}

/** Thrown by WritePipeline.add for a put that breaks Figure 5.11-1 / 7.1.3-1: a bug. */
export class IllegalMoveError extends StoreError {}

/**
 * Every put that reaches the store is a legal binding-status move (draft-12 §5.11, §7.1.3),
 * checked against the decided state; nothing of a rejected call is added.
 */
function checkMoves(ops: readonly LeaseOp[], view: LeaseView): void {
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

/**
 * The pipeline as a LeaseStore, for code written against the store (failover): reads see
 * decided changes, commit() joins the pipeline. Changes written this way are not told to the
 * partner (they are the partner's, or bookkeeping about the partner).
 */
export class PipelineStore implements LeaseStore {
  constructor(readonly pipeline: WritePipeline) {}
  get(ip: Ipv4): Lease | undefined {
    return this.pipeline.view.get(ip);
  }
  byClient(clientKey: string): readonly Lease[] {
    return this.pipeline.view.byClient(clientKey);
  }
  stateOf(ip: Ipv4): BindingState | undefined {
    return this.pipeline.view.stateOf(ip);
  }
  hold(ip: Ipv4) {
    return this.pipeline.view.hold(ip);
  }
  heldFor(clientKey: string): Ipv4 | undefined {
    return this.pipeline.view.heldFor(clientKey);
  }
  all(): Iterable<Lease> {
    return this.pipeline.view.all();
  }
  size(): number {
    return this.pipeline.view.size();
  }
  meta(key: string): string | undefined {
    return this.pipeline.view.meta(key);
  }
  forEachState(fn: (ip: Ipv4, subnetId: number, state: BindingState) => void): void {
    this.pipeline.view.forEachState(fn);
  }
  dueForReclaim(nowSec: number, limit: number): readonly Lease[] {
    return this.pipeline.view.dueForReclaim(nowSec, limit);
  }
  countByState(subnetId: number) {
    return this.pipeline.store.countByState(subnetId);
  }
  changedSince(afterSeq: number): readonly Lease[] {
    return this.pipeline.store.changedSince(afterSeq);
  }
  /**
   * Not available: a synchronous write would land beside the pipeline, under a group already
   * decided on the older state, and that group's commit would then overwrite it. Use commit().
   */
  apply(_ops: readonly LeaseOp[]): void {
    throw new StoreError("PipelineStore.apply(): write through commit(), in pipeline order");
  }
  commit(ops: readonly LeaseOp[]): Promise<void> {
    let done: Promise<void>;
    try {
      done = this.pipeline.add(ops);
    } catch (e) {
      return Promise.reject(e);
    }
    this.pipeline.kick();
    return done;
  }
  pending(ip: Ipv4): boolean {
    return this.pipeline.pending(ip);
  }
  close(): void {
    this.pipeline.store.close();
  }
}
