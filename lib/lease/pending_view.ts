/**
 * A LeaseView of the store plus the ops decided earlier in the same batch but not yet
 * committed. Group commit (one transaction per batch of packets) must not let two packets of
 * one batch see the same free address: the second one reads through this overlay.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { BindingState, Lease } from "./lease.ts";
import type { LeaseOp } from "./ops.ts";
import type { Hold, LeaseView } from "./store.ts";

export class PendingView implements LeaseView {
  /** ip -> record, or null for a pending delete. */
  readonly #leases = new Map<Ipv4, Lease | null>();
  readonly #holds = new Map<Ipv4, Hold | null>();
  /** clientKey -> address of the hold decided here, or null for an unhold of that hold. */
  readonly #holdOf = new Map<string, Ipv4 | null>();
  readonly #meta = new Map<string, string>();
  /** clientKey -> addresses put for it here (some may since belong to another client). */
  readonly #clients = new Map<string, Ipv4[]>();

  #base: LeaseView;

  constructor(base: LeaseView) {
    this.#base = base;
  }

  get base(): LeaseView {
    return this.#base;
  }

  /**
   * Reads through `base` from now on. The runtime stacks the view of the group being filled on
   * the view of the group being committed; once that commit is in the store, the stack must be
   * cut, or every lookup would walk all earlier groups.
   */
  rebase(base: LeaseView): void {
    this.#base = base;
  }

  /** Records the ops of one decision so later packets of the batch see them. */
  add(ops: readonly LeaseOp[]): void {
    for (const op of ops) {
      switch (op.kind) {
        case "put": {
          this.#leases.set(op.lease.ip, op.lease);
          const key = op.lease.clientKey;
          if (key !== undefined) {
            const ips = this.#clients.get(key);
            if (ips === undefined) this.#clients.set(key, [op.lease.ip]);
            else if (!ips.includes(op.lease.ip)) ips.push(op.lease.ip);
          }
          break;
        }
        case "delete":
          this.#leases.set(op.ip, null);
          break;
        case "hold":
          this.#holds.set(op.ip, { ip: op.ip, clientKey: op.clientKey, untilSec: op.untilSec });
          this.#holdOf.set(op.clientKey, op.ip);
          break;
        case "unhold": {
          const key = this.hold(op.ip)?.clientKey;
          if (key !== undefined && this.heldFor(key) === op.ip) this.#holdOf.set(key, null);
          this.#holds.set(op.ip, null);
          break;
        }
        case "meta":
          this.#meta.set(op.key, op.value);
          break;
      }
    }
  }

  /** True when this overlay itself (not its base) changes ip. */
  touches(ip: Ipv4): boolean {
    return this.#leases.has(ip);
  }

  get(ip: Ipv4): Lease | undefined {
    const p = this.#leases.get(ip);
    if (p !== undefined) return p ?? undefined;
    return this.base.get(ip);
  }

  byClient(clientKey: string): readonly Lease[] {
    const base = this.base.byClient(clientKey);
    if (this.#leases.size === 0) return base;
    const mine = this.#clients.get(clientKey);
    let overridden = false;
    for (const l of base) if (this.#leases.has(l.ip)) overridden = true;
    if (mine === undefined && !overridden) return base;
    const out: Lease[] = [];
    for (const ip of mine ?? []) {
      const l = this.#leases.get(ip);
      if (l != null && l.clientKey === clientKey) out.push(l);
    }
    for (const l of base) if (!this.#leases.has(l.ip)) out.push(l);
    return out;
  }

  stateOf(ip: Ipv4): BindingState | undefined {
    const p = this.#leases.get(ip);
    if (p !== undefined) return p?.state;
    return this.base.stateOf(ip);
  }

  hold(ip: Ipv4): Hold | undefined {
    const h = this.#holds.get(ip);
    if (h !== undefined) return h ?? undefined;
    return this.base.hold(ip);
  }

  heldFor(clientKey: string): Ipv4 | undefined {
    const ip = this.#holdOf.has(clientKey)
      ? this.#holdOf.get(clientKey) ?? undefined
      : this.base.heldFor(clientKey);
    return ip !== undefined && this.hold(ip)?.clientKey === clientKey ? ip : undefined;
  }

  *all(): Iterable<Lease> {
    if (this.#leases.size === 0) return yield* this.base.all();
    const merged = new Map<Ipv4, Lease>();
    for (const l of this.base.all()) merged.set(l.ip, l);
    for (const [ip, l] of this.#leases) l === null ? merged.delete(ip) : merged.set(ip, l);
    yield* [...merged.values()].sort((a, b) => a.ip - b.ip);
  }

  size(): number {
    let n = this.base.size();
    for (const [ip, l] of this.#leases) {
      const had = this.base.get(ip) !== undefined;
      if (l === null && had) n--;
      if (l !== null && !had) n++;
    }
    return n;
  }

  meta(key: string): string | undefined {
    return this.#meta.get(key) ?? this.base.meta(key);
  }

  forEachState(fn: (ip: Ipv4, subnetId: number, state: BindingState) => void): void {
    const overlay = this.#leases;
    this.base.forEachState((ip, subnetId, state) => {
      if (!overlay.has(ip)) fn(ip, subnetId, state);
    });
    for (const [ip, l] of overlay) if (l !== null) fn(ip, l.subnetId, l.state);
  }

  /** The base's due records as this overlay changes them, and the overlay's own. */
  dueForReclaim(nowSec: number, limit: number): readonly Lease[] {
    const due = (l: Lease) =>
      (l.state === "active" || l.state === "abandoned") && l.endSec <= nowSec;
    const out: Lease[] = [];
    for (const [, l] of this.#leases) {
      if (out.length >= limit) return out;
      if (l !== null && due(l)) out.push(l);
    }
    // Asks the base for enough to fill the limit after the ones this overlay changed.
    for (const l of this.base.dueForReclaim(nowSec, limit + this.#leases.size)) {
      if (out.length >= limit) break;
      if (!this.#leases.has(l.ip)) out.push(l);
    }
    return out;
  }

  countByState(subnetId: number): Readonly<Record<BindingState, number>> {
    return this.base.countByState(subnetId);
  }
}
