/**
 * A memory store in the shape of SqliteLeaseStore for in-process tests: its own index is the
 * decided state (commit() applies at once and checks the binding-status moves), and the durable
 * ops go through the real GroupCommit to `write`, which stands for the disk. A box restarted
 * after a crash is hydrated from what `write` received (hydrateFrom), so decisions whose group
 * never reached it are lost, as on a real crash.
 */
import { type CommitHooks, GroupCommit, type GroupWriter } from "../../lib/lease/group_commit.ts";
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import { isDurable, type LeaseOp } from "../../lib/lease/ops.ts";
import { checkMoves } from "../../lib/lease/store.ts";
import type { Ipv4 } from "../../lib/wire/ipv4.ts";

export class DecidedStore extends MemoryLeaseStore {
  readonly #groups: GroupCommit;

  constructor(write: GroupWriter) {
    super();
    this.#groups = new GroupCommit(write);
  }

  /** Loads what a durable store holds (its records with their seqs, and its metadata). */
  hydrateFrom(disk: MemoryLeaseStore): this {
    for (const l of disk.all()) this.restore(l);
    for (const [k, v] of disk.metaEntries()) this.restoreMeta(k, v);
    this.restoreSeq(disk.lastSeq());
    return this;
  }

  override commit(ops: readonly LeaseOp[], weight = 0): Promise<void> {
    checkMoves(ops, this);
    const firstSeq = this.lastSeq();
    this.apply(ops);
    const durable = ops.filter(isDurable);
    if (durable.length === 0) return Promise.resolve();
    return this.#groups.add(durable, firstSeq, weight);
  }

  set hooks(h: CommitHooks) {
    this.#groups.hooks = h;
  }

  pending(ip: Ipv4): Promise<void> | undefined {
    return this.#groups.pending(ip);
  }

  drain(): Promise<void> {
    return this.#groups.drain();
  }
}
