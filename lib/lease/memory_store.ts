/**
 * MemoryLeaseStore: the reference LeaseStore, and the in-memory index behind SqliteLeaseStore
 * (which hydrates it at boot and applies each decided batch to it at once, group_commit.ts). Nothing here is
 * durable; holds are memory-only in every store (ops.ts: a restart forgets offers), and a put
 * or delete leaves a hold alone (the caller unholds).
 *
 * Every read is O(1) or O(result): countByState is kept per subnet on each change because
 * /status and /metrics read it often; all() keeps a sorted address list that survives
 * in-order inserts (hydration reads rows in address order); changedSince reads an append-only
 * seq log that is compacted when stale entries outnumber live ones.
 *
 * Records live in a LeaseTable (columns, not objects: lease_table.ts says why), so every read
 * returns a fresh Lease object; nothing may rely on two reads returning the same object.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import { BINDING_STATES, type BindingState, type Lease } from "./lease.ts";
import { LeaseTable } from "./lease_table.ts";
import type { LeaseOp } from "./ops.ts";
import { checkMoves, type Hold, type LeaseStore, StoreError } from "./store.ts";

type StateCounts = Record<BindingState, number>;

function zeroCounts(): StateCounts {
  return {
    free: 0,
    active: 0,
    expired: 0,
    released: 0,
    abandoned: 0,
    reset: 0,
    backup: 0,
  };
}

const STATE_SET: ReadonlySet<string> = new Set(BINDING_STATES);

function isIpv4(v: unknown): v is Ipv4 {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

const isStr = (v: unknown): boolean => typeof v === "string";

/** Why a lease record cannot be stored, or undefined when it is well-formed. */
export function leaseProblem(l: Lease): string | undefined {
  if (!isIpv4(l.ip)) return `ip ${String(l.ip)} is not an IPv4 address`;
  if (!Number.isSafeInteger(l.subnetId)) return `subnetId ${String(l.subnetId)} is not an integer`;
  if (!STATE_SET.has(l.state)) return `state ${JSON.stringify(l.state)} is not a binding state`;
  if (!Number.isInteger(l.hwType)) return `hwType ${String(l.hwType)} is not an integer`;
  if (
    !isStr(l.clientKey) || !isStr(l.hwAddr) || !isStr(l.clientId) || !isStr(l.hostname) ||
    !isStr(l.vendorClass) || !isStr(l.relayInfo)
  ) return "a client field (clientKey, hwAddr, clientId, hostname, ...) is not a string";
  if (
    !isFiniteNumber(l.startSec) || !isFiniteNumber(l.endSec) || !isFiniteNumber(l.clttSec) ||
    !isFiniteNumber(l.ackedPotentialEndSec) || !isFiniteNumber(l.potentialEndSec)
  ) return "a time field (startSec, endSec, clttSec, ...) is not a finite number";
  if (typeof l.pendingUpdate !== "boolean") return "pendingUpdate is not a boolean";
  return undefined;
}

/**
 * Checks a whole batch before anything is applied, so that a bad op (a bug in the caller)
 * rejects the batch as a unit instead of leaving half of it applied.
 */
export function validateOps(ops: readonly LeaseOp[]): void {
  ops.forEach((op, i) => {
    let problem: string | undefined;
    switch (op.kind) {
      case "put":
        problem = leaseProblem(op.lease);
        break;
      case "delete":
      case "unhold":
        if (!isIpv4(op.ip)) problem = `ip ${String(op.ip)} is not an IPv4 address`;
        break;
      case "hold":
        if (!isIpv4(op.ip)) problem = `ip ${String(op.ip)} is not an IPv4 address`;
        else if (typeof op.clientKey !== "string") problem = "clientKey is not a string";
        else if (!isFiniteNumber(op.untilSec)) problem = "untilSec is not a finite number";
        break;
      case "meta":
        if (typeof op.key !== "string" || typeof op.value !== "string") {
          problem = "meta key and value must be strings";
        }
        break;
      default:
        problem = `unknown op kind ${JSON.stringify((op as { kind: unknown }).kind)}`;
    }
    if (problem !== undefined) throw new StoreError(`invalid op #${i} (${op.kind}): ${problem}`);
  });
}

/** A record with exactly the Lease fields (no stray properties) and the store's seq. */
export function storedLease(l: Lease, seq: number): Lease {
  return {
    ip: l.ip,
    subnetId: l.subnetId,
    state: l.state,
    clientKey: l.clientKey,
    hwType: l.hwType,
    hwAddr: l.hwAddr,
    clientId: l.clientId,
    hostname: l.hostname,
    vendorClass: l.vendorClass,
    relayInfo: l.relayInfo,
    startSec: l.startSec,
    endSec: l.endSec,
    clttSec: l.clttSec,
    ackedPotentialEndSec: l.ackedPotentialEndSec,
    potentialEndSec: l.potentialEndSec,
    pendingUpdate: l.pendingUpdate,
    seq,
  };
}

export class MemoryLeaseStore implements LeaseStore {
  readonly #table = new LeaseTable();
  readonly #holds = new Map<Ipv4, Hold>();
  /** clientKey -> the address of its latest hold (entries may be stale: check #holds). */
  readonly #holdOf = new Map<string, Ipv4>();
  readonly #meta = new Map<string, string>();
  readonly #counts = new Map<number, StateCounts>();
  #seq = 0;
  /** Addresses in ascending order (the first #sortedLength), or undefined when stale. */
  #sorted: Uint32Array<ArrayBuffer> | undefined = new Uint32Array(16);
  #sortedLength = 0;
  /** Append-only (seq, ip) log in seq order; entries whose record moved on are stale. */
  #logSeq: number[] = [];
  #logIp: Ipv4[] = [];
  #logValid = true;

  get(ip: Ipv4): Lease | undefined {
    return this.#table.get(ip);
  }

  /** Most recently changed first. The empty key means "no client" and matches nothing. */
  byClient(clientKey: string): readonly Lease[] {
    const t = this.#table;
    const slots = t.slotsOfClient(clientKey);
    if (slots.length === 0) return [];
    if (slots.length > 1) slots.sort((a, b) => t.seqAt(b) - t.seqAt(a));
    return slots.map((slot) => t.lease(slot));
  }

  stateOf(ip: Ipv4): BindingState | undefined {
    return this.#table.stateOf(ip);
  }

  hold(ip: Ipv4): Hold | undefined {
    return this.#holds.get(ip);
  }

  heldFor(clientKey: string): Ipv4 | undefined {
    const ip = this.#holdOf.get(clientKey);
    return ip !== undefined && this.#holds.get(ip)?.clientKey === clientKey ? ip : undefined;
  }

  *all(): Iterable<Lease> {
    if (this.#sorted === undefined) {
      const ips = new Uint32Array(this.#table.size);
      let n = 0;
      this.#table.forEachSlot((slot) => ips[n++] = this.#table.ipAt(slot));
      this.#sorted = ips.sort();
      this.#sortedLength = n;
    }
    const sorted = this.#sorted;
    const length = this.#sortedLength;
    for (let i = 0; i < length; i++) {
      const l = this.#table.get(sorted[i] as Ipv4);
      if (l !== undefined) yield l;
    }
  }

  size(): number {
    return this.#table.size;
  }

  meta(key: string): string | undefined {
    return this.#meta.get(key);
  }

  forEachState(fn: (ip: Ipv4, subnetId: number, state: BindingState) => void): void {
    const t = this.#table;
    t.forEachSlot((slot) => fn(t.ipAt(slot), t.subnetAt(slot), t.stateAt(slot)));
  }

  dueForReclaim(nowSec: number, limit: number): readonly Lease[] {
    return this.#table.dueForReclaim(nowSec, limit);
  }

  /** A snapshot, not a live view. */
  countByState(subnetId: number): Readonly<Record<BindingState, number>> {
    const c = this.#counts.get(subnetId);
    return c === undefined ? zeroCounts() : { ...c };
  }

  /** Every metadata entry (a copy of this store is hydrated from it). */
  metaEntries(): [string, string][] {
    return [...this.#meta];
  }

  /** The seq of the latest put or delete (0 when none). */
  lastSeq(): number {
    return this.#seq;
  }

  /** Nothing here is durable: deciding is all there is (the reference store, and tests). */
  commit(ops: readonly LeaseOp[], _weight = 0): Promise<void> {
    checkMoves(ops, this);
    this.apply(ops);
    return Promise.resolve();
  }

  apply(ops: readonly LeaseOp[]): void {
    validateOps(ops);
    for (const op of ops) {
      switch (op.kind) {
        case "put":
          this.#put(op.lease, ++this.#seq);
          break;
        case "delete":
          ++this.#seq;
          this.#delete(op.ip);
          break;
        case "hold":
          this.#unindexHold(op.ip);
          this.#holds.set(op.ip, { ip: op.ip, clientKey: op.clientKey, untilSec: op.untilSec });
          this.#holdOf.set(op.clientKey, op.ip);
          break;
        case "unhold":
          this.#unindexHold(op.ip);
          this.#holds.delete(op.ip);
          break;
        case "meta":
          this.#meta.set(op.key, op.value);
          break;
      }
    }
  }

  #unindexHold(ip: Ipv4): void {
    const key = this.#holds.get(ip)?.clientKey;
    if (key !== undefined && this.#holdOf.get(key) === ip) this.#holdOf.delete(key);
  }

  changedSince(afterSeq: number): readonly Lease[] {
    if (!this.#logValid) this.#rebuildLog();
    // Binary search for the first log entry with seq > afterSeq.
    let lo = 0;
    let hi = this.#logSeq.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#logSeq[mid] ?? 0) > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    const t = this.#table;
    const out: Lease[] = [];
    for (let i = lo; i < this.#logSeq.length; i++) {
      const slot = t.slotOf(this.#logIp[i] as Ipv4);
      if (slot >= 0 && t.seqAt(slot) === this.#logSeq[i]) out.push(t.lease(slot));
    }
    return out;
  }

  close(): void {}

  /**
   * Loads a record as stored elsewhere, keeping its seq (for a store hydrating this index).
   * Raises the seq counter to at least the record's seq. False (and nothing loaded) when the
   * record is malformed. Only the Lease fields of lease are read, and it is not kept, so a
   * caller may pass the same scratch object for every record.
   */
  restore(lease: Lease): boolean {
    if (leaseProblem(lease) !== undefined || !Number.isSafeInteger(lease.seq)) return false;
    this.#put(lease, lease.seq, false);
    this.#logValid = false;
    if (lease.seq > this.#seq) this.#seq = lease.seq;
    return true;
  }

  /** Makes room for this many records at once (before restoring them, to avoid regrowth). */
  reserve(records: number): void {
    this.#table.reserve(records);
    const s = this.#sorted;
    if (s !== undefined && s.length < records) {
      const grown = new Uint32Array(records);
      grown.set(s.subarray(0, this.#sortedLength));
      this.#sorted = grown;
    }
  }

  /** Loads a stored metadata value (for a store hydrating this index). */
  restoreMeta(key: string, value: string): void {
    this.#meta.set(key, value);
  }

  /** Raises the seq counter (a delete may have consumed numbers above every stored record). */
  restoreSeq(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
  }

  #put(l: Lease, seq: number, log = true): void {
    const t = this.#table;
    const old = t.slotOf(l.ip);
    if (old >= 0) this.#count(t.subnetAt(old), t.stateAt(old), -1);
    if (t.put(l, seq)) this.#addSorted(l.ip);
    this.#count(l.subnetId, l.state, 1);
    if (log && this.#logValid) {
      this.#logSeq.push(seq);
      this.#logIp.push(l.ip);
      if (this.#logSeq.length > 2 * t.size + 64) this.#compactLog();
    }
  }

  #addSorted(ip: Ipv4): void {
    const s = this.#sorted;
    if (s === undefined) return;
    const n = this.#sortedLength;
    if (n > 0 && ip <= (s[n - 1] as number)) {
      this.#sorted = undefined;
      return;
    }
    if (n === s.length) {
      const grown = new Uint32Array(Math.ceil(n * 1.5));
      grown.set(s);
      this.#sorted = grown;
    }
    (this.#sorted as Uint32Array)[n] = ip;
    this.#sortedLength = n + 1;
  }

  #delete(ip: Ipv4): void {
    const gone = this.#table.delete(ip);
    if (gone === undefined) return;
    this.#count(gone.subnetId, gone.state, -1);
    this.#sorted = undefined;
  }

  #count(subnetId: number, state: BindingState, delta: number): void {
    let c = this.#counts.get(subnetId);
    if (c === undefined) this.#counts.set(subnetId, c = zeroCounts());
    c[state] += delta;
  }

  #compactLog(): void {
    const t = this.#table;
    const seqs: number[] = [];
    const ips: Ipv4[] = [];
    for (let i = 0; i < this.#logSeq.length; i++) {
      const ip = this.#logIp[i] as Ipv4;
      const slot = t.slotOf(ip);
      if (slot >= 0 && t.seqAt(slot) === this.#logSeq[i]) {
        seqs.push(this.#logSeq[i] as number);
        ips.push(ip);
      }
    }
    this.#logSeq = seqs;
    this.#logIp = ips;
  }

  #rebuildLog(): void {
    const t = this.#table;
    const slots: number[] = [];
    t.forEachSlot((slot) => slots.push(slot));
    slots.sort((a, b) => t.seqAt(a) - t.seqAt(b));
    this.#logSeq = slots.map((slot) => t.seqAt(slot));
    this.#logIp = slots.map((slot) => t.ipAt(slot));
    this.#logValid = true;
  }
}
