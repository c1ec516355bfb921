/**
 * LeaseTable: lease records stored by column, the memory layout behind MemoryLeaseStore (and so
 * behind SqliteLeaseStore's index, which holds every lease for the life of the process).
 *
 * Why columns: a Lease object costs about 480 bytes in V8 (17 fields, a boxed HeapNumber for
 * each epoch-second time above 2^30, a string header per text field, Map entries). Here a record
 * is a slot: its numbers in one 32-byte row of a Uint32Array (half a cache line per read, where
 * a column per field would cost a cache miss per field), its text fields joined into ONE
 * string, the client key not stored when it is derivable (RFC 2131 §4.2 keys, client_key.ts: "id:" + option 61 hex, or
 * "hw:" + htype + chaddr hex), and both indexes (address -> slot, client key -> slots) in
 * SlotHash tables of plain uint32 cells. scripts/bench_memory.ts measures the result.
 *
 * Reads materialise a fresh, short-lived Lease object per call. Values round-trip exactly: a
 * record whose numbers do not all fit the row (a time or subnet id that is not a uint32, a seq
 * at or above 2^47, -0) keeps them in a side map instead (never, from a real lease).
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import { BINDING_STATES, type BindingState, type Lease } from "./lease.ts";
import { SlotHash, stringHash } from "./slot_hash.ts";

const STATE_CODE = new Map<string, number>(BINDING_STATES.map((s, i) => [s, i]));

/**
 * Row layout: eight uint32 per slot. Times are epoch seconds (uint32 until 2106). WORD packs
 * the small fields: hwType (bits 0-7, a DHCP htype is one octet; any other integer goes to
 * oddHwType), state (bits 8-10), flags (bits 11-16) and the high 15 bits of seq (17-31), whose
 * low 32 bits are SEQ_LO.
 */
const STRIDE = 8;
const SUBNET = 0;
const WORD = 1;
const START = 2;
const END = 3;
const CLTT = 4;
const ACKED_POTENTIAL_END = 5;
const POTENTIAL_END = 6;
const SEQ_LO = 7;

const STATE_SHIFT = 8;
const USED = 1 << 11;
const PENDING = 1 << 12;
const ODD_HW_TYPE = 1 << 13;
/** bits 14-15: how the client key is kept. */
const KEY_SHIFT = 14;
const KEY_MASK = 3 << KEY_SHIFT;
const KEY_NONE = 0 << KEY_SHIFT; // ""
const KEY_HW = 1 << KEY_SHIFT; // "hw:" + 2-digit hex hwType + ":" + hwAddr (client_key.ts)
const KEY_ID = 2 << KEY_SHIFT; // "id:" + clientId
const KEY_STORED = 3 << KEY_SHIFT; // last field of the text
/** The numbers are in #oddNumbers, not in the row. */
const ODD_NUMBERS = 1 << 16;
const SEQ_HI_SHIFT = 17;
const SEQ_LIMIT = 2 ** 47;

/** Whether a number can live in a uint32 cell as itself. */
function isU32(n: number): boolean {
  return n >>> 0 === n && !Object.is(n, -0);
}

/** Row fields and their index in an #oddNumbers record. */
type NumberField = 0 | 2 | 3 | 4 | 5 | 6;

/** Text fields, in the order they are packed. */
const TEXT_FIELDS = 5;
/** Slots per text chunk (a power of two), and the longest record kept in a chunk. */
const CHUNK_SHIFT = 5;
const LONG_TEXT = 2000; // 32 records of 2,000 characters stay below 0xffff (Uint16 offsets)

/** "hw:00:" .. "hw:ff:": the prefixes of client_key.ts's htype + chaddr keys. */
const HW_PREFIX: readonly string[] = Array.from(
  { length: 256 },
  (_, t) => `hw:${t.toString(16).padStart(2, "0")}:`,
);

function hwKey(hwType: number, hwAddr: string): string {
  const prefix = HW_PREFIX[hwType] ?? `hw:${hwType.toString(16).padStart(2, "0")}:`;
  return prefix + hwAddr;
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

export class LeaseTable {
  #cap = 0;
  #rows = new Uint32Array(0);
  /** [subnetId, -, start, end, cltt, ackedPotentialEnd, potentialEnd, seq] of odd slots. */
  readonly #oddNumbers = new Map<number, Float64Array>();
  /** Address per slot (reads by address already know it; byClient and iteration do not). */
  #ip = new Uint32Array(0);
  /**
   * Text of CHUNK consecutive slots in ONE flat string. A slot's record is five length
   * characters, then hwAddr, clientId, hostname, vendorClass, relayInfo (and clientKey when
   * KEY_STORED), at #textStart within its chunk, #textLength long (0: every field empty);
   * records lie in slot order, back to back. One string header per 32 leases instead of one
   * per lease (about 20 bytes each: 2 MB per 100,000 leases), and no scanning to split it.
   */
  #chunks: string[] = [];
  #textStart = new Uint16Array(0);
  #textLength = new Uint16Array(0);
  /** Pieces appended to one chunk and not joined into it yet (#setText), or -1. */
  #appendedChunk = -1;
  #appended: string[] = [];
  #appendedLength = 0;
  /** Records too long for a chunk (a field over 0xffff characters, or over LONG_TEXT). */
  readonly #longText = new Map<number, readonly string[]>();
  /** hwType of slots whose hwType is not an octet (never, from a real DHCP packet). */
  readonly #oddHwType = new Map<number, number>();
  /** Slots below this have been used; freed ones are reused first. */
  #top = 0;
  #free: number[] = [];
  readonly #byIp = new SlotHash(1024);
  readonly #byClient = new SlotHash(1024);

  get size(): number {
    return this.#byIp.size;
  }

  /** The slot holding ip, or -1. */
  slotOf(ip: Ipv4): number {
    return this.#byIp.get(ip);
  }

  get(ip: Ipv4): Lease | undefined {
    const slot = this.#byIp.get(ip);
    return slot < 0 ? undefined : this.#lease(slot, ip);
  }

  stateOf(ip: Ipv4): BindingState | undefined {
    const slot = this.#byIp.get(ip);
    return slot < 0 ? undefined : this.stateAt(slot);
  }

  ipAt(slot: number): Ipv4 {
    return this.#ip[slot] as Ipv4;
  }

  seqAt(slot: number): number {
    const rows = this.#rows;
    const word = rows[slot * STRIDE + WORD] as number;
    if (word & ODD_NUMBERS) return this.#oddNumbers.get(slot)![SEQ_LO] as number;
    return (word >>> SEQ_HI_SHIFT) * 4294967296 + (rows[slot * STRIDE + SEQ_LO] as number);
  }

  subnetAt(slot: number): number {
    return this.#num(slot, SUBNET);
  }

  stateAt(slot: number): BindingState {
    const word = this.#rows[slot * STRIDE + WORD] as number;
    return BINDING_STATES[(word >>> STATE_SHIFT) & 7] as BindingState;
  }

  /**
   * Up to limit records in state active or abandoned whose end is at or before nowSec, read
   * from the rows (no object per record looked at).
   */
  dueForReclaim(nowSec: number, limit: number): Lease[] {
    const out: Lease[] = [];
    const rows = this.#rows;
    const active = STATE_CODE.get("active")!;
    const abandoned = STATE_CODE.get("abandoned")!;
    for (let s = 0; s < this.#top && out.length < limit; s++) {
      const word = rows[s * STRIDE + WORD] as number;
      if ((word & USED) === 0) continue;
      const state = (word >>> STATE_SHIFT) & 7;
      if (state !== active && state !== abandoned) continue;
      if (this.#num(s, END) <= nowSec) out.push(this.lease(s));
    }
    return out;
  }

  /** Calls fn with the slot of every record. */
  forEachSlot(fn: (slot: number) => void): void {
    const rows = this.#rows;
    for (let s = 0; s < this.#top; s++) if ((rows[s * STRIDE + WORD] as number) & USED) fn(s);
  }

  /** Slots of the records whose clientKey is key ("" matches nothing). */
  slotsOfClient(key: string): number[] {
    const out: number[] = [];
    if (key === "") return out;
    this.#byClient.forEach(stringHash(key), (slot) => {
      if (this.#clientKeyAt(slot) === key) out.push(slot);
    });
    return out;
  }

  /** The record in a slot, as a fresh object. */
  lease(slot: number): Lease {
    return this.#lease(slot, this.#ip[slot] as Ipv4);
  }

  #lease(slot: number, ip: Ipv4): Lease {
    const rows = this.#rows;
    const r = slot * STRIDE;
    const word = rows[r + WORD] as number;
    const length = this.#textLength[slot] as number;
    let hwAddr = "";
    let clientId = "";
    let hostname = "";
    let vendorClass = "";
    let relayInfo = "";
    let clientKey = "";
    if (length > 0) {
      if (slot >>> CHUNK_SHIFT === this.#appendedChunk) this.#joinAppended();
      const text = this.#chunks[slot >>> CHUNK_SHIFT] as string;
      const base = this.#textStart[slot] as number;
      let at = base + TEXT_FIELDS;
      let end = at + text.charCodeAt(base);
      hwAddr = text.slice(at, end);
      end = (at = end) + text.charCodeAt(base + 1);
      clientId = text.slice(at, end);
      end = (at = end) + text.charCodeAt(base + 2);
      hostname = text.slice(at, end);
      end = (at = end) + text.charCodeAt(base + 3);
      vendorClass = text.slice(at, end);
      end = (at = end) + text.charCodeAt(base + 4);
      relayInfo = text.slice(at, end);
      if ((word & KEY_MASK) === KEY_STORED) clientKey = text.slice(end, base + length);
    } else if (this.#longText.has(slot)) {
      const text = this.#longText.get(slot) as readonly string[];
      [hwAddr, clientId, hostname, vendorClass, relayInfo] = text as [
        string,
        string,
        string,
        string,
        string,
      ];
      clientKey = text[TEXT_FIELDS] ?? "";
    }
    const hwType = word & ODD_HW_TYPE ? this.#oddHwType.get(slot) as number : word & 0xff;
    switch (word & KEY_MASK) {
      case KEY_HW:
        clientKey = hwKey(hwType, hwAddr);
        break;
      case KEY_ID:
        clientKey = "id:" + clientId;
        break;
    }
    return {
      ip,
      subnetId: this.#num(slot, SUBNET),
      state: BINDING_STATES[(word >>> STATE_SHIFT) & 7] as BindingState,
      clientKey,
      hwType,
      hwAddr,
      clientId,
      hostname,
      vendorClass,
      relayInfo,
      startSec: this.#num(slot, START),
      endSec: this.#num(slot, END),
      clttSec: this.#num(slot, CLTT),
      ackedPotentialEndSec: this.#num(slot, ACKED_POTENTIAL_END),
      potentialEndSec: this.#num(slot, POTENTIAL_END),
      pendingUpdate: (word & PENDING) !== 0,
      seq: this.seqAt(slot),
    };
  }

  /** A number field of a slot, from its row or, for an odd slot, from #oddNumbers. */
  #num(slot: number, field: NumberField): number {
    const r = slot * STRIDE;
    const rows = this.#rows;
    if ((rows[r + WORD] as number) & ODD_NUMBERS) {
      return this.#oddNumbers.get(slot)![field] as number;
    }
    return rows[r + field] as number;
  }

  #clientKeyAt(slot: number): string {
    const word = this.#rows[slot * STRIDE + WORD] as number;
    return (word & KEY_MASK) === KEY_NONE ? "" : this.lease(slot).clientKey;
  }

  /**
   * Stores l (a validated record) under seq, replacing the record at its address. Returns
   * whether the address is new.
   */
  put(l: Lease, seq: number): boolean {
    let slot = this.#byIp.get(l.ip);
    const added = slot < 0;
    let wasIndexed = false;
    if (added) {
      slot = this.#alloc();
      this.#byIp.add(l.ip, slot);
    } else {
      const oldKey = this.#clientKeyAt(slot);
      wasIndexed = oldKey === l.clientKey;
      if (!wasIndexed && oldKey !== "") this.#byClient.remove(stringHash(oldKey), slot);
    }
    const kind = keyKind(l);
    const octet = l.hwType >= 0 && l.hwType <= 0xff && !Object.is(l.hwType, -0);
    if (octet) this.#oddHwType.delete(slot);
    else this.#oddHwType.set(slot, l.hwType);
    const rows = this.#rows;
    const r = slot * STRIDE;
    const flags = (octet ? l.hwType : ODD_HW_TYPE) |
      (STATE_CODE.get(l.state) as number) << STATE_SHIFT | USED |
      (l.pendingUpdate ? PENDING : 0) | kind;
    const fits = isU32(l.subnetId) && isU32(l.startSec) && isU32(l.endSec) &&
      isU32(l.clttSec) && isU32(l.ackedPotentialEndSec) && isU32(l.potentialEndSec) &&
      Number.isSafeInteger(seq) && seq >= 0 && seq < SEQ_LIMIT;
    if (fits) {
      this.#oddNumbers.delete(slot);
      rows[r + WORD] = (flags | Math.floor(seq / 4294967296) << SEQ_HI_SHIFT) >>> 0;
      rows[r + SUBNET] = l.subnetId;
      rows[r + START] = l.startSec;
      rows[r + END] = l.endSec;
      rows[r + CLTT] = l.clttSec;
      rows[r + ACKED_POTENTIAL_END] = l.ackedPotentialEndSec;
      rows[r + POTENTIAL_END] = l.potentialEndSec;
      rows[r + SEQ_LO] = seq >>> 0;
    } else {
      rows[r + WORD] = flags | ODD_NUMBERS;
      this.#oddNumbers.set(
        slot,
        Float64Array.of(
          l.subnetId,
          0,
          l.startSec,
          l.endSec,
          l.clttSec,
          l.ackedPotentialEndSec,
          l.potentialEndSec,
          seq,
        ),
      );
    }
    this.#ip[slot] = l.ip;
    this.#setText(slot, packText(l, kind === KEY_STORED));
    if (!wasIndexed && l.clientKey !== "") this.#byClient.add(stringHash(l.clientKey), slot);
    return added;
  }

  /** Removes the record at ip; returns its former subnet and state, or undefined. */
  delete(ip: Ipv4): { subnetId: number; state: BindingState } | undefined {
    const slot = this.#byIp.get(ip);
    if (slot < 0) return undefined;
    const key = this.#clientKeyAt(slot);
    if (key !== "") this.#byClient.remove(stringHash(key), slot);
    this.#byIp.remove(ip, slot);
    const gone = { subnetId: this.subnetAt(slot), state: this.stateAt(slot) };
    this.#rows[slot * STRIDE + WORD] = 0;
    this.#setText(slot, undefined);
    this.#oddHwType.delete(slot);
    this.#oddNumbers.delete(slot);
    this.#free.push(slot);
    return gone;
  }

  /** Makes room for records in total without growing (hydration knows the row count). */
  reserve(records: number): void {
    if (records > this.#cap) this.#grow(records);
    this.#byIp.reserve(records);
    this.#byClient.reserve(records);
  }

  #alloc(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#top === this.#cap) this.#grow();
    return this.#top++;
  }

  #grow(minCap = 0): void {
    // 1.5x growth: the rows are the bulk of the index, so overshoot costs real memory.
    // Whole chunks only: a new slot then always starts a chunk of its own, at offset 0.
    const want = Math.max(1024, minCap, Math.ceil(this.#cap * 1.5));
    const cap = Math.ceil(want / (1 << CHUNK_SHIFT)) << CHUNK_SHIFT;
    const rows = new Uint32Array(cap * STRIDE);
    rows.set(this.#rows);
    this.#rows = rows;
    const ip = new Uint32Array(cap);
    ip.set(this.#ip);
    this.#ip = ip;
    const start = new Uint16Array(cap);
    start.set(this.#textStart);
    this.#textStart = start;
    const length = new Uint16Array(cap);
    length.set(this.#textLength);
    this.#textLength = length;
    this.#cap = cap;
  }

  /** Characters in chunk c, counting the pieces still waiting to be joined. */
  #chunkLength(c: number): number {
    const joined = this.#chunks[c]?.length ?? 0;
    return c === this.#appendedChunk ? joined + this.#appendedLength : joined;
  }

  /** Joins the waiting pieces into their chunk (one flat string). */
  #joinAppended(): void {
    const c = this.#appendedChunk;
    if (c < 0) return;
    this.#chunks[c] = [this.#chunks[c] ?? "", ...this.#appended].join("");
    this.#appendedChunk = -1;
    this.#appended = [];
    this.#appendedLength = 0;
  }

  /**
   * Replaces a slot's record text in its chunk; the records after it in the chunk move by the
   * difference. The chunk is rebuilt with Array.join, which makes a flat string (a `+` would
   * leave a rope that keeps every old piece alive).
   */
  #setText(slot: number, text: string | readonly string[] | undefined): void {
    let inline = "";
    if (typeof text === "string" && text.length <= LONG_TEXT) {
      inline = text;
      this.#longText.delete(slot);
    } else if (text === undefined) {
      this.#longText.delete(slot);
    } else {
      this.#longText.set(slot, typeof text === "string" ? unpackText(text) : text);
    }
    const oldLength = this.#textLength[slot] as number;
    if (oldLength === 0 && inline === "") return;
    const c = slot >>> CHUNK_SHIFT;
    const start = this.#textStart[slot] as number;
    if (oldLength === 0 && start === this.#chunkLength(c)) {
      // An append at the chunk's end (hydration, or a new slot): the piece waits in
      // #appended and the chunk is joined once, when it is next read or changed in place.
      if (this.#appendedChunk !== c) this.#joinAppended();
      this.#appendedChunk = c;
      this.#appended.push(inline);
      this.#appendedLength += inline.length;
    } else {
      this.#joinAppended();
      const chunk = this.#chunks[c] ?? "";
      this.#chunks[c] = [chunk.slice(0, start), inline, chunk.slice(start + oldLength)].join("");
    }
    this.#textLength[slot] = inline.length;
    const delta = inline.length - oldLength;
    if (delta !== 0) {
      const end = Math.min((c + 1) << CHUNK_SHIFT, this.#cap);
      for (let k = slot + 1; k < end; k++) {
        this.#textStart[k] = (this.#textStart[k] as number) + delta;
      }
    }
  }
}

/** The text of a record as one flat string (Array.join builds a flat string, not a rope). */
function packText(l: Lease, withKey: boolean): string | readonly string[] | undefined {
  const { hwAddr, clientId, hostname, vendorClass, relayInfo } = l;
  if (
    !withKey && hwAddr === "" && clientId === "" && hostname === "" && vendorClass === "" &&
    relayInfo === ""
  ) return undefined;
  const fields = [hwAddr, clientId, hostname, vendorClass, relayInfo];
  if (withKey) fields.push(l.clientKey);
  if (fields.some((f) => f.length > 0xffff)) return fields;
  const lengths = String.fromCharCode(
    hwAddr.length,
    clientId.length,
    hostname.length,
    vendorClass.length,
    relayInfo.length,
  );
  fields.unshift(lengths);
  return fields.join("");
}

/** A packed record (packText's string form) as its fields, for records kept outside chunks. */
function unpackText(text: string): string[] {
  const out: string[] = [];
  let at = TEXT_FIELDS;
  for (let i = 0; i < TEXT_FIELDS; i++) {
    const end = at + text.charCodeAt(i);
    out.push(text.slice(at, end));
    at = end;
  }
  out.push(text.slice(at));
  return out;
}
