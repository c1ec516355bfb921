/**
 * Group commit behind the in-memory index, in Kea memfile's shape: a store applies every
 * decided change to its index at once (the index IS the decided state, so the next packet
 * decides against it) and hands the durable ops here. One transaction runs at a time; what is
 * decided meanwhile joins the next one, so an idle box commits each change at once and a busy
 * one shares one fsync among hundreds. Callers whose reply promises durability (an ACK, a
 * BNDACK) wait for the promise of the group their ops joined (ARCHITECTURE.md invariant 2).
 *
 * A commit window (ISC dhcpd's delayed-ack, Kea's group commit) lets a group wait up to
 * windowMs for company before its transaction starts, unless it already carries maxWeight
 * packets: at a moderate rate that shares one transaction and one fsync among several ACKs
 * instead of paying both for each, at the price of at most windowMs of reply latency. While a
 * transaction runs, the next group waits for it anyway; it starts as soon as that one ends.
 *
 * A failed transaction or fsync fails its group and every later one, and is fatal to the
 * process (CommitHooks.failed): after a failed fsync the kernel may have dropped the dirty
 * pages, and the index is ahead of the disk, so the only safe state is the one on disk after a
 * restart. Nothing of a failed group was acknowledged.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { LeaseOp } from "./ops.ts";

export interface CommitHooks {
  nowMs(): number;
  /** A transaction committed: its weight (the DHCP loop: packets) and how long it took. */
  committed?(weight: number, ms: number): void;
  /** A transaction failed: nothing of it (or decided after it) is durable. */
  failed?(error: unknown, weight: number): void;
}

/** Writes one group's ops as one durable transaction; firstSeq as in sqlite_writer.ts. */
export type GroupWriter = (ops: readonly LeaseOp[], firstSeq: number) => Promise<void>;

interface Group {
  readonly ops: LeaseOp[];
  readonly firstSeq: number;
  readonly ips: Set<Ipv4>;
  weight: number;
  readonly settled: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

/** How a group waits for company: after(ms, fn) runs fn once, ms later (a platform timer). */
export interface CommitWindow {
  readonly windowMs: number;
  /** A group carrying this much weight starts at once. */
  readonly maxWeight: number;
  after(ms: number, fn: () => void): void;
}

export class GroupCommit {
  #open: Group | undefined;
  #committing: Group | undefined;
  #failed: unknown;
  #scheduled = false;
  #waiting = false;
  hooks: CommitHooks | undefined;

  constructor(readonly write: GroupWriter, readonly window?: CommitWindow) {}

  /**
   * Adds durable ops decided now (their seqs start after firstSeq, as the index numbered them)
   * and returns the promise of their group. The transaction starts once the current burst of
   * synchronous decisions is over (a microtask), or after the running one.
   */
  add(ops: readonly LeaseOp[], firstSeq: number, weight = 0): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const g = this.#open ??= newGroup(firstSeq);
    for (const op of ops) {
      g.ops.push(op);
      if (op.kind === "put") g.ips.add(op.lease.ip);
      else if (op.kind === "delete") g.ips.add(op.ip);
    }
    g.weight += weight;
    const w = this.window;
    if (w !== undefined && w.windowMs > 0 && g.weight < w.maxWeight) {
      if (!this.#waiting && this.#committing === undefined) {
        this.#waiting = true;
        w.after(w.windowMs, () => {
          this.#waiting = false;
          this.#kick();
        });
      }
      return g.settled;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#kick();
      });
    }
    return g.settled;
  }

  /**
   * When a change to ip is decided but not yet durable: the promise of the latest group that
   * holds one (it settles after any earlier group). Undefined when every change is durable.
   */
  pending(ip: Ipv4): Promise<void> | undefined {
    if (this.#open?.ips.has(ip)) return this.#open.settled;
    if (this.#committing?.ips.has(ip)) return this.#committing.settled;
    return undefined;
  }

  /** Nothing waits or commits. */
  get idle(): boolean {
    return this.#open === undefined && this.#committing === undefined;
  }

  /** Waits until everything added so far is durable or failed. */
  async drain(): Promise<void> {
    while (!this.idle) {
      this.#kick();
      await (this.#committing ?? this.#open)?.settled.catch(() => {});
    }
  }

  #kick(): void {
    if (this.#committing !== undefined || this.#open === undefined) return;
    const g = this.#open;
    this.#open = undefined;
    this.#committing = g;
    const t0 = this.hooks?.nowMs() ?? 0;
    this.write(g.ops, g.firstSeq).then(() => {
      this.#committing = undefined;
      this.hooks?.committed?.(g.weight, (this.hooks?.nowMs() ?? 0) - t0);
      g.resolve();
      this.#kick();
    }, (e) => {
      // What was decided after the failed group may depend on it: it fails too, and so does
      // everything added from now on (the process is about to stop).
      this.#failed = e;
      const next = this.#open;
      this.#open = undefined;
      this.#committing = undefined;
      this.hooks?.failed?.(e, g.weight + (next?.weight ?? 0));
      g.reject(e);
      next?.reject(e);
    });
  }
}

function newGroup(firstSeq: number): Group {
  let resolve!: () => void, reject!: (e: unknown) => void;
  const settled = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A group nobody awaits must not become an unhandled rejection.
  settled.catch(() => {});
  return { ops: [], firstSeq, ips: new Set(), weight: 0, settled, resolve, reject };
}
