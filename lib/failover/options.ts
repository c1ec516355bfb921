/**
 * draft-ietf-dhc-failover-12 numbering (§6, §12) and the raw option layer: 2-byte code,
 * 2-byte length, data (§6.2). Values checked against ISC dhcpd in isc-notes §1.
 */
import type { BindingState } from "../lease/lease.ts";

/** Message types, draft-12 §6.1 (= ISC FTM_*; isc-notes §1.2). */
export const MSG_TYPE = {
  poolreq: 1,
  poolresp: 2,
  bndupd: 3,
  bndack: 4,
  connect: 5,
  connectack: 6,
  updreqall: 7,
  upddone: 8,
  updreq: 9,
  state: 10,
  contact: 11,
  disconnect: 12,
  /**
   * Tandem-to-Tandem information (relay coverage), in vendor-specific-options only. §6.1: types
   * 128-255 are optional and a server that does not know one ignores it; never sent to a legacy
   * partner (`partner = "isc-dhcpd"`).
   */
  tandem: 200,
} as const;
export type MessageKind = keyof typeof MSG_TYPE;

/** Option codes, draft-12 §12.1-§12.29 (isc-notes §1.3). */
export const FO = {
  addressesTransferred: 1,
  assignedIpAddress: 2,
  bindingStatus: 3,
  clientIdentifier: 4,
  clientHardwareAddress: 5,
  clientLastTransactionTime: 6,
  clientReplyOptions: 7,
  clientRequestOptions: 8,
  ddns: 9,
  delayedServiceParameter: 10,
  hashBucketAssignment: 11,
  ipFlags: 12,
  leaseExpirationTime: 13,
  maxUnackedBndupd: 14,
  mclt: 15,
  message: 16,
  messageDigest: 17,
  potentialExpirationTime: 18,
  receiveTimer: 19,
  protocolVersion: 20,
  rejectReason: 21,
  relationshipName: 22,
  serverFlags: 23,
  serverState: 24,
  startTimeOfState: 25,
  tlsReply: 26,
  tlsRequest: 27,
  vendorClassIdentifier: 28,
  vendorSpecificOptions: 29,
} as const;

/** Failover server states, draft-12 §9 (names as the draft spells them, lower-case). */
export type ServerState =
  | "startup"
  | "normal"
  | "communications-interrupted"
  | "partner-down"
  | "potential-conflict"
  | "recover"
  | "paused"
  | "shutdown"
  | "recover-done"
  | "resolution-interrupted"
  | "conflict-done"
  | "recover-wait";

/**
 * server-state option values, draft-12 §12.24. RECOVER-WAIT has no code in the draft; ISC
 * uses 254 (isc-notes §3.2). STARTUP (1) is never sent: the STARTUP flag is (§9.3.1).
 */
export const SERVER_STATE_CODE: Readonly<Record<ServerState, number>> = {
  "startup": 1,
  "normal": 2,
  "communications-interrupted": 3,
  "partner-down": 4,
  "potential-conflict": 5,
  "recover": 6,
  "paused": 7,
  "shutdown": 8,
  "recover-done": 9,
  "resolution-interrupted": 10,
  "conflict-done": 11,
  "recover-wait": 254,
};

export const SERVER_STATES: readonly ServerState[] = Object.keys(
  SERVER_STATE_CODE,
) as ServerState[];

export function serverStateFromCode(code: number): ServerState | undefined {
  return SERVER_STATES.find((s) => SERVER_STATE_CODE[s] === code);
}

/** binding-status values, draft-12 §12.3 (1 FREE .. 7 BACKUP; isc-notes §1.5). */
export const BINDING_STATUS_CODE: Readonly<Record<BindingState, number>> = {
  free: 1,
  active: 2,
  expired: 3,
  released: 4,
  abandoned: 5,
  reset: 6,
  backup: 7,
};

export function bindingStateFromCode(code: number): BindingState | undefined {
  return (Object.keys(BINDING_STATUS_CODE) as BindingState[]).find((s) =>
    BINDING_STATUS_CODE[s] === code
  );
}

/** reject-reason values, draft-12 §12.21 (isc-notes §1.6; HBA conflict is 18, not 19). */
export const REJECT = {
  illegalIpAddress: 1,
  fatalConflict: 2,
  missingBindingInformation: 3,
  clockSkew: 4,
  invalidMclt: 5,
  unknownReason: 6,
  duplicateConnection: 7,
  invalidPartner: 8,
  tlsNotSupported: 9,
  tlsNotConfigured: 10,
  tlsRequired: 11,
  digestNotSupported: 12,
  digestNotConfigured: 13,
  versionMismatch: 14,
  outdatedBindingInformation: 15,
  lessCriticalBindingInformation: 16,
  noTraffic: 17,
  hbaConflict: 18,
  ipNotReserved: 19,
  digestMismatch: 20,
  missingDigest: 21,
  unknownError: 254,
} as const;

/** IP-flags bits, draft-12 §12.12 (ISC FTF_IP_FLAG_*). */
export const IP_FLAG_RESERVED = 0x0001;
export const IP_FLAG_BOOTP = 0x0002;
/** server-flags bit 0, draft-12 §12.23. */
export const SERVER_FLAG_STARTUP = 0x01;
/** Message-digest type Tandem uses: 2 = HMAC-SHA-256 (draft-12 §12.17 defines only 1 = HMAC-MD5). */
export const DIGEST_TYPE_HMAC_SHA256 = 2;
/** Magic number heading client-request/reply-options (§12.7, §12.8): the DHCP cookie. */
export const DHCP_OPTIONS_MAGIC = 0x63825363;
/** §6.1 length limits (ISC DHCP_FAILOVER_MIN/MAX_MESSAGE_SIZE). */
export const MIN_MESSAGE_LEN = 12;
export const MAX_MESSAGE_LEN = 2048;
/** Fixed header size; the payload offset Tandem sends (isc-notes §3.1). */
export const HEADER_LEN = 12;
export const PROTOCOL_VERSION = 1;

export interface RawOption {
  readonly code: number;
  readonly data: Uint8Array;
  /** Byte offset of the option's code field within the message. */
  readonly offset: number;
}

/** Splits a payload into options (§6.2); undefined when an option runs past the end. */
export function splitOptions(bytes: Uint8Array, start: number): RawOption[] | undefined {
  const out: RawOption[] = [];
  let i = start;
  while (i < bytes.length) {
    if (i + 4 > bytes.length) return undefined;
    const code = (bytes[i]! << 8) | bytes[i + 1]!;
    const len = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (i + 4 + len > bytes.length) return undefined;
    out.push({ code, data: bytes.subarray(i + 4, i + 4 + len), offset: i });
    i += 4 + len;
  }
  return out;
}

/** Growable big-endian writer for encoding. Throws on values that do not fit (encoder bugs). */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`u8 out of range: ${v}`);
    this.#room(1);
    this.#buf[this.#len++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16: ${v}`);
    return this.u8(v >>> 8).u8(v & 0xff);
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32: ${v}`);
    return this.u16(v >>> 16).u16(v & 0xffff);
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** One failover option (§6.2). */
  option(code: number, data: Uint8Array): this {
    return this.u16(code).u16(data.length).bytes(data);
  }

  optU8(code: number, v: number): this {
    return this.u16(code).u16(1).u8(v);
  }

  optU16(code: number, v: number): this {
    return this.u16(code).u16(2).u16(v);
  }

  optU32(code: number, v: number): this {
    return this.u16(code).u16(4).u32(v);
  }

  optText(code: number, s: string): this {
    return this.option(code, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads a big-endian unsigned integer of data.length 1, 2 or 4 bytes. */
export function readUint(data: Uint8Array): number {
  let v = 0;
  for (const b of data) v = v * 256 + b;
  return v;
}

/**
 * DHCP options (1-byte code, 1-byte length) after the 4-byte magic number of §12.7/§12.8.
 * Repeated codes are concatenated (RFC 3396); Pad skipped, End stops. Undefined if malformed.
 */
export function parseEmbeddedDhcpOptions(data: Uint8Array): Map<number, Uint8Array> | undefined {
  if (data.length < 4 || readUint(data.subarray(0, 4)) !== DHCP_OPTIONS_MAGIC) return undefined;
  const out = new Map<number, Uint8Array>();
  let i = 4;
  while (i < data.length) {
    const code = data[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) break;
    if (i + 2 > data.length) return undefined;
    const len = data[i + 1]!;
    if (i + 2 + len > data.length) return undefined;
    const prev = out.get(code);
    const val = data.subarray(i + 2, i + 2 + len);
    if (prev === undefined) out.set(code, val.slice());
    else {
      const joined = new Uint8Array(prev.length + val.length);
      joined.set(prev);
      joined.set(val, prev.length);
      out.set(code, joined);
    }
    i += 2 + len;
  }
  return out;
}

/** Inverse of parseEmbeddedDhcpOptions; values longer than 255 are split (RFC 3396). */
export function encodeEmbeddedDhcpOptions(opts: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const w = new ByteWriter().u32(DHCP_OPTIONS_MAGIC);
  for (const [code, val] of opts) {
    if (val.length === 0) w.u8(code).u8(0);
    for (let i = 0; i < val.length; i += 255) {
      const part = val.subarray(i, i + 255);
      w.u8(code).u8(part.length).bytes(part);
    }
  }
  return w.finish();
}
