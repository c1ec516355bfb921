/**
 * MemoryLeaseStore: the reference LeaseStore, and the in-memory index behind SqliteLeaseStore
 * (which hydrates it at boot and applies each batch to it only after COMMIT). Nothing here is
 * durable; holds are memory-only in every store (ops.ts: a restart forgets offers), and a put
 * or delete leaves a hold alone (the caller unholds).
 *
 * Every read is O(1) or O(result): countByState is kept per subnet on each change because
 * /status and /metrics read it often; all() keeps a sorted address list that survives
 * in-order inserts (hydration reads rows in address order); changedSince reads an append-only
 * seq log that is compacted when stale entries outnumber live ones.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import { BINDING_STATES, type BindingState, type Lease } from "./lease.ts";
import type { LeaseOp } from "./ops.ts";
import { type Hold, type LeaseStore, StoreError } from "./store.ts";

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
  readonly #records = new Map<Ipv4, Lease>();
  /**
   * clientKey -> its address, or its addresses when it has several (most clients have one, and
   * a Set per client would triple the index's memory). The empty key ("no client") is not
   * indexed.
   */
  readonly #byClient = new Map<string, Ipv4 | Ipv4[]>();
  readonly #holds = new Map<Ipv4, Hold>();
  readonly #meta = new Map<string, string>();
  readonly #counts = new Map<number, StateCounts>();
  #seq = 0;
  /** Addresses in ascending order, or undefined when it must be rebuilt. */
  #sorted: Ipv4[] | undefined = [];
  /** Append-only (seq, ip) log in seq order; entries whose record moved on are stale. */
  #logSeq: number[] = [];
  #logIp: Ipv4[] = [];
  #logValid = true;

  get(ip: Ipv4): Lease | undefined {
    return this.#records.get(ip);
  }

  /** Most recently changed first. The empty key means "no client" and matches nothing. */
  byClient(clientKey: string): readonly Lease[] {
    const ips = this.#byClient.get(clientKey);
    if (ips === undefined) return [];
    const out: Lease[] = [];
    for (const ip of typeof ips === "number" ? [ips] : ips) {
      const l = this.#records.get(ip);
      if (l !== undefined) out.push(l);
    }
    return out.sort((a, b) => b.seq - a.seq);
  }

  hold(ip: Ipv4): Hold | undefined {
    return this.#holds.get(ip);
  }

  *all(): Iterable<Lease> {
    if (this.#sorted === undefined) {
      this.#sorted = [...this.#records.keys()].sort((a, b) => a - b);
    }
    for (const ip of this.#sorted) {
      const l = this.#records.get(ip);
      if (l !== undefined) yield l;
    }
  }

  size(): number {
    return this.#records.size;
  }

  meta(key: string): string | undefined {
    return this.#meta.get(key);
  }

  /** A snapshot, not a live view. */
  countByState(subnetId: number): Readonly<Record<BindingState, number>> {
    const c = this.#counts.get(subnetId);
    return c === undefined ? zeroCounts() : { ...c };
  }

  /** The seq of the latest put or delete (0 when none). */
  lastSeq(): number {
    return this.#seq;
  }

  apply(ops: readonly LeaseOp[]): void {
    validateOps(ops);
    for (const op of ops) {
      switch (op.kind) {
        case "put":
          this.#put(storedLease(op.lease, ++this.#seq));
          break;
        case "delete":
          ++this.#seq;
          this.#delete(op.ip);
          break;
        case "hold":
          this.#holds.set(op.ip, { ip: op.ip, clientKey: op.clientKey, untilSec: op.untilSec });
          break;
        case "unhold":
          this.#holds.delete(op.ip);
          break;
        case "meta":
          this.#meta.set(op.key, op.value);
          break;
      }
    }
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
    const out: Lease[] = [];
    for (let i = lo; i < this.#logSeq.length; i++) {
      const l = this.#records.get(this.#logIp[i] as Ipv4);
      if (l !== undefined && l.seq === this.#logSeq[i]) out.push(l);
    }
    return out;
  }

  close(): void {}

  /**
   * Loads a record as stored elsewhere, keeping its seq (for a store hydrating this index).
   * Raises the seq counter to at least the record's seq. False (and nothing loaded) when the
   * record is malformed.
   */
  restore(lease: Lease): boolean {
    if (leaseProblem(lease) !== undefined || !Number.isSafeInteger(lease.seq)) return false;
    this.#put(storedLease(lease, lease.seq), false);
    this.#logValid = false;
    if (lease.seq > this.#seq) this.#seq = lease.seq;
    return true;
  }

  /** Loads a stored metadata value (for a store hydrating this index). */
  restoreMeta(key: string, value: string): void {
    this.#meta.set(key, value);
  }

  /** Raises the seq counter (a delete may have consumed numbers above every stored record). */
  restoreSeq(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
  }

  #put(l: Lease, log = true): void {
    const old = this.#records.get(l.ip);
    this.#records.set(l.ip, l);
    if (old === undefined) {
      const s = this.#sorted;
      if (s !== undefined && (s.length === 0 || l.ip > (s[s.length - 1] as number))) s.push(l.ip);
      else this.#sorted = undefined;
    } else {
      this.#count(old, -1);
      if (old.clientKey !== l.clientKey) this.#unindexClient(old);
    }
    this.#count(l, 1);
    if (l.clientKey !== "" && old?.clientKey !== l.clientKey) {
      const ips = this.#byClient.get(l.clientKey);
      if (ips === undefined) this.#byClient.set(l.clientKey, l.ip);
      else if (typeof ips === "number") this.#byClient.set(l.clientKey, [ips, l.ip]);
      else ips.push(l.ip);
    }
    if (log && this.#logValid) {
      this.#logSeq.push(l.seq);
      this.#logIp.push(l.ip);
      if (this.#logSeq.length > 2 * this.#records.size + 64) this.#compactLog();
    }
  }

  #delete(ip: Ipv4): void {
    const old = this.#records.get(ip);
    if (old === undefined) return;
    this.#records.delete(ip);
    this.#count(old, -1);
    this.#unindexClient(old);
    this.#sorted = undefined;
  }

  #count(l: Lease, delta: number): void {
    let c = this.#counts.get(l.subnetId);
    if (c === undefined) this.#counts.set(l.subnetId, c = zeroCounts());
    c[l.state] += delta;
  }

  #unindexClient(l: Lease): void {
    const ips = this.#byClient.get(l.clientKey);
    if (ips === l.ip) this.#byClient.delete(l.clientKey);
    if (ips === undefined || typeof ips === "number") return;
    const rest = ips.filter((ip) => ip !== l.ip);
    this.#byClient.set(l.clientKey, rest.length === 1 ? rest[0] as Ipv4 : rest);
  }

  #compactLog(): void {
    const seqs: number[] = [];
    const ips: Ipv4[] = [];
    for (let i = 0; i < this.#logSeq.length; i++) {
      const ip = this.#logIp[i] as Ipv4;
      if (this.#records.get(ip)?.seq === this.#logSeq[i]) {
        seqs.push(this.#logSeq[i] as number);
        ips.push(ip);
      }
    }
    this.#logSeq = seqs;
    this.#logIp = ips;
  }

  #rebuildLog(): void {
    const live = [...this.#records.values()].sort((a, b) => a.seq - b.seq);
    this.#logSeq = live.map((l) => l.seq);
    this.#logIp = live.map((l) => l.ip);
    this.#logValid = true;
  }
}
