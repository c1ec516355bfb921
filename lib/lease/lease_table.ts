/**
 * LeaseTable: lease records stored by column, the memory layout behind MemoryLeaseStore (and so
 * behind SqliteLeaseStore's index, which holds every lease for the life of the process).
 *
 * Why columns: a Lease object costs about 480 bytes in V8 (17 fields, a boxed HeapNumber for
 * each epoch-second time above 2^30, a string header per text field, Map entries). Here a record
 * is a slot: numbers in typed arrays, the text fields joined into ONE string, the client key not
 * stored when it is derivable (RFC 2131 §4.2 keys, client_key.ts: "id:" + option 61 hex, or
 * "hw:" + htype + chaddr hex), and both indexes (address -> slot, client key -> slots) in
 * SlotHash tables of plain uint32 cells. scripts/bench_memory.ts measures the result.
 *
 * Reads materialise a fresh, short-lived Lease object per call. Values round-trip exactly
 * (Float64Array keeps every finite number, -0 included).
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import { BINDING_STATES, type BindingState, type Lease } from "./lease.ts";
import { SlotHash, stringHash } from "./slot_hash.ts";

const STATE_CODE = new Map<string, number>(BINDING_STATES.map((s, i) => [s, i]));

/** flags bits. */
const USED = 1;
const PENDING = 2;
/** bits 2-3: how the client key is kept. */
const KEY_SHIFT = 2;
const KEY_MASK = 3 << KEY_SHIFT;
const KEY_NONE = 0 << KEY_SHIFT; // ""
const KEY_HW = 1 << KEY_SHIFT; // "hw:" + 2-digit hex hwType + ":" + hwAddr
const KEY_ID = 2 << KEY_SHIFT; // "id:" + clientId
const KEY_STORED = 3 << KEY_SHIFT; // last field of the text

/** Separates the text fields inside one string; a record whose text holds it is kept split. */
const SEP = "\u0000";

function hwKey(hwType: number, hwAddr: string): string {
  return `hw:${hwType.toString(16).padStart(2, "0")}:${hwAddr}`;
}

function keyKind(l: Lease): number {
  const k = l.clientKey;
  if (k === "") return KEY_NONE;
  if (l.clientId !== "" && k.length === l.clientId.length + 3 && k === "id:" + l.clientId) {
    return KEY_ID;
  }
  if (k.startsWith("hw:") && k === hwKey(l.hwType, l.hwAddr)) return KEY_HW;
  return KEY_STORED;
}

/** Growable Float64 column. */
function grownF64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

export class LeaseTable {
  #cap = 0;
  #ip = new Uint32Array(0);
  #state = new Uint8Array(0);
  #flags = new Uint8Array(0);
  #subnetId = new Float64Array(0);
  #hwType = new Float64Array(0);
  #startSec = new Float64Array(0);
  #endSec = new Float64Array(0);
  #clttSec = new Float64Array(0);
  #ackedPotentialEndSec = new Float64Array(0);
  #potentialEndSec = new Float64Array(0);
  #seq = new Float64Array(0);
  /**
   * Text fields per slot: hwAddr, clientId, hostname, vendorClass, relayInfo (and clientKey when
   * KEY_STORED) joined by SEP into one flat string (one string header instead of six); an array
   * when a field itself contains SEP; undefined when every field is empty.
   */
  #text: (string | readonly string[] | undefined)[] = [];
  /** Slots below this have been used; freed ones are reused first. */
  #top = 0;
  #free: number[] = [];
  readonly #byIp = new SlotHash(10);
  readonly #byClient = new SlotHash(10);

  get size(): number {
    return this.#byIp.size;
  }

  /** The slot holding ip, or -1. */
  slotOf(ip: Ipv4): number {
    return this.#byIp.get(ip);
  }

  get(ip: Ipv4): Lease | undefined {
    const slot = this.#byIp.get(ip);
    return slot < 0 ? undefined : this.lease(slot);
  }

  ipAt(slot: number): Ipv4 {
    return this.#ip[slot] as Ipv4;
  }

  seqAt(slot: number): number {
    return this.#seq[slot] as number;
  }

  subnetAt(slot: number): number {
    return this.#subnetId[slot] as number;
  }

  stateAt(slot: number): BindingState {
    return BINDING_STATES[this.#state[slot] as number] as BindingState;
  }

  /** Calls fn with the slot of every record. */
  forEachSlot(fn: (slot: number) => void): void {
    const flags = this.#flags;
    for (let s = 0; s < this.#top; s++) if ((flags[s] as number) & USED) fn(s);
  }

  /** Slots of the records whose clientKey is key ("" matches nothing). */
  slotsOfClient(key: string): number[] {
    const out: number[] = [];
    if (key === "") return out;
    this.#byClient.forEach(stringHash(key), (slot) => {
      if (this.clientKeyAt(slot) === key) out.push(slot);
    });
    return out;
  }

  clientKeyAt(slot: number): string {
    const kind = (this.#flags[slot] as number) & KEY_MASK;
    if (kind === KEY_NONE) return "";
    const f = this.#fields(slot);
    if (kind === KEY_HW) return hwKey(this.#hwType[slot] as number, f[0] as string);
    if (kind === KEY_ID) return "id:" + (f[1] as string);
    return f[5] as string;
  }

  /** The record in a slot, as a fresh object. */
  lease(slot: number): Lease {
    const flags = this.#flags[slot] as number;
    const text = this.#text[slot];
    let hwAddr = "";
    let clientId = "";
    let hostname = "";
    let vendorClass = "";
    let relayInfo = "";
    let clientKey = "";
    if (typeof text === "string") {
      // Five separators at most: indexOf + slice beats split() (no array).
      const a = text.indexOf(SEP);
      const b = text.indexOf(SEP, a + 1);
      const c = text.indexOf(SEP, b + 1);
      const d = text.indexOf(SEP, c + 1);
      const e = text.indexOf(SEP, d + 1);
      hwAddr = text.slice(0, a);
      clientId = text.slice(a + 1, b);
      hostname = text.slice(b + 1, c);
      vendorClass = text.slice(c + 1, d);
      if (e < 0) relayInfo = text.slice(d + 1);
      else {
        relayInfo = text.slice(d + 1, e);
        clientKey = text.slice(e + 1);
      }
    } else if (text !== undefined) {
      [hwAddr, clientId, hostname, vendorClass, relayInfo] = text as [
        string,
        string,
        string,
        string,
        string,
      ];
      clientKey = text[5] ?? "";
    }
    const hwType = this.#hwType[slot] as number;
    switch (flags & KEY_MASK) {
      case KEY_HW:
        clientKey = hwKey(hwType, hwAddr);
        break;
      case KEY_ID:
        clientKey = "id:" + clientId;
        break;
    }
    return {
      ip: this.#ip[slot] as Ipv4,
      subnetId: this.#subnetId[slot] as number,
      state: BINDING_STATES[this.#state[slot] as number] as BindingState,
      clientKey,
      hwType,
      hwAddr,
      clientId,
      hostname,
      vendorClass,
      relayInfo,
      startSec: this.#startSec[slot] as number,
      endSec: this.#endSec[slot] as number,
      clttSec: this.#clttSec[slot] as number,
      ackedPotentialEndSec: this.#ackedPotentialEndSec[slot] as number,
      potentialEndSec: this.#potentialEndSec[slot] as number,
      pendingUpdate: (flags & PENDING) !== 0,
      seq: this.#seq[slot] as number,
    };
  }

  /**
   * Stores l (a validated record) under seq, replacing the record at its address. Returns the
   * slot and whether the address is new.
   */
  put(l: Lease, seq: number): { slot: number; added: boolean } {
    let slot = this.#byIp.get(l.ip);
    const added = slot < 0;
    const kind = keyKind(l);
    let wasIndexed = false;
    if (added) {
      slot = this.#alloc();
      this.#byIp.add(l.ip, slot);
    } else {
      const oldKey = this.clientKeyAt(slot);
      wasIndexed = oldKey === l.clientKey;
      if (!wasIndexed && oldKey !== "") this.#byClient.remove(stringHash(oldKey), slot);
    }
    this.#ip[slot] = l.ip;
    this.#state[slot] = STATE_CODE.get(l.state) as number;
    this.#flags[slot] = USED | (l.pendingUpdate ? PENDING : 0) | kind;
    this.#subnetId[slot] = l.subnetId;
    this.#hwType[slot] = l.hwType;
    this.#startSec[slot] = l.startSec;
    this.#endSec[slot] = l.endSec;
    this.#clttSec[slot] = l.clttSec;
    this.#ackedPotentialEndSec[slot] = l.ackedPotentialEndSec;
    this.#potentialEndSec[slot] = l.potentialEndSec;
    this.#seq[slot] = seq;
    this.#text[slot] = packText(l, kind === KEY_STORED);
    if (!wasIndexed && l.clientKey !== "") this.#byClient.add(stringHash(l.clientKey), slot);
    return { slot, added };
  }

  /** Removes the record at ip; returns its slot's former state and subnet, or undefined. */
  delete(ip: Ipv4): { subnetId: number; state: BindingState } | undefined {
    const slot = this.#byIp.get(ip);
    if (slot < 0) return undefined;
    const key = this.clientKeyAt(slot);
    if (key !== "") this.#byClient.remove(stringHash(key), slot);
    this.#byIp.remove(ip, slot);
    const gone = { subnetId: this.subnetAt(slot), state: this.stateAt(slot) };
    this.#flags[slot] = 0;
    this.#text[slot] = undefined;
    this.#free.push(slot);
    return gone;
  }

  #fields(slot: number): readonly string[] {
    const text = this.#text[slot];
    if (text === undefined) return ["", "", "", "", ""];
    return typeof text === "string" ? text.split(SEP) : text;
  }

  #alloc(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#top === this.#cap) this.#grow();
    return this.#top++;
  }

  #grow(): void {
    // 1.5x growth: the columns are the bulk of the index, so overshoot costs real memory.
    const cap = Math.max(1024, Math.ceil(this.#cap * 1.5));
    const ip = new Uint32Array(cap);
    ip.set(this.#ip);
    this.#ip = ip;
    const state = new Uint8Array(cap);
    state.set(this.#state);
    this.#state = state;
    const flags = new Uint8Array(cap);
    flags.set(this.#flags);
    this.#flags = flags;
    this.#subnetId = grownF64(this.#subnetId, cap);
    this.#hwType = grownF64(this.#hwType, cap);
    this.#startSec = grownF64(this.#startSec, cap);
    this.#endSec = grownF64(this.#endSec, cap);
    this.#clttSec = grownF64(this.#clttSec, cap);
    this.#ackedPotentialEndSec = grownF64(this.#ackedPotentialEndSec, cap);
    this.#potentialEndSec = grownF64(this.#potentialEndSec, cap);
    this.#seq = grownF64(this.#seq, cap);
    this.#cap = cap;
  }
}

/** One flat string of the text fields (Array.join builds a flat string, not a rope). */
function packText(l: Lease, withKey: boolean): string | readonly string[] | undefined {
  const fields = [l.hwAddr, l.clientId, l.hostname, l.vendorClass, l.relayInfo];
  if (withKey) fields.push(l.clientKey);
  if (fields.some((f) => f.includes(SEP))) return fields;
  if (!withKey && fields.every((f) => f === "")) return undefined;
  return fields.join(SEP);
}
