/**
 * The per-address part of BNDUPD and BNDACK (draft-12 §6.3, §7.1 Table 7.1-1, §7.2 Table
 * 7.2-1): groups of options each headed by assigned-IP-address. Used by messages.ts.
 */
import type { BindingState } from "../lease/lease.ts";
import { type Ipv4, ipv4FromBytes, ipv4ToBytes } from "../wire/ipv4.ts";
import {
  BINDING_STATUS_CODE,
  bindingStateFromCode,
  ByteWriter,
  encodeEmbeddedDhcpOptions,
  FO,
  parseEmbeddedDhcpOptions,
  readUint,
  REJECT,
} from "./options.ts";

/** DHCP option codes Tandem replicates inside client-request-options (§12.8). */
const DHCP_HOST_NAME = 12;
const DHCP_VENDOR_CLASS = 60;
const DHCP_RELAY_AGENT_INFO = 82;

/** One binding update transaction (§6.3). Times are absolute seconds on the SENDER's clock. */
export interface BindingUpdate {
  readonly ip: Ipv4;
  readonly status: BindingState;
  /** §12.12: IP_FLAG_RESERVED | IP_FLAG_BOOTP; sent only when non-zero (Table 7.1-1 note 4). */
  readonly ipFlags?: number;
  /** Option 61 value (§12.4). */
  readonly clientId?: Uint8Array;
  /** §12.5: htype and hardware address. */
  readonly hardware?: { readonly htype: number; readonly addr: Uint8Array };
  readonly clttSec?: number;
  /** §12.13: MUST for ACTIVE, MUST NOT otherwise (Table 7.1-1); the caller decides. */
  readonly leaseEndSec?: number;
  /** §12.18: MUST for ACTIVE, MUST NOT otherwise. */
  readonly potentialEndSec?: number;
  /** §12.25: when the binding entered this status. */
  readonly stateStartSec?: number;
  /** §12.9: flags and FQDN in DNS wire form. */
  readonly ddns?: { readonly flags: number; readonly fqdn: Uint8Array };
  /** Carried as DHCP options 12, 60, 82 inside client-request-options (§12.8). */
  readonly hostname?: string;
  readonly vendorClass?: string;
  readonly relayAgentInfo?: Uint8Array;
  /** client-reply-options (§12.7), DHCP options after the magic number. */
  readonly replyOptions?: ReadonlyMap<number, Uint8Array>;
}

/** One BNDACK transaction (§6.3): accepted unless rejectReason is set. */
export interface BindingAck {
  readonly ip: Ipv4;
  readonly rejectReason?: number;
  readonly message?: string;
}

/** BNDUPD contents: accepted parses, and transactions to reject without looking further. */
export interface ParsedBindings {
  readonly bindings: BindingUpdate[];
  /** Malformed transactions; answer each in the BNDACK with its reason (§7.2.1). */
  readonly rejected: BindingAck[];
}

type Opt = { readonly code: number; readonly data: Uint8Array };

/** Splits options into groups at each assigned-IP-address; options before the first are dropped. */
function groups(opts: readonly Opt[]): { ip: Ipv4; opts: Opt[] }[] | string {
  const out: { ip: Ipv4; opts: Opt[] }[] = [];
  for (const o of opts) {
    if (o.code === FO.assignedIpAddress) {
      if (o.data.length !== 4) return "bad-option:assigned-IP-address length is not 4";
      out.push({ ip: ipv4FromBytes(o.data), opts: [] });
    } else out.at(-1)?.opts.push(o);
  }
  return out;
}

const utf8 = new TextDecoder();

function parseOne(ip: Ipv4, opts: readonly Opt[]): BindingUpdate | string {
  const m = new Map<number, Uint8Array>();
  for (const o of opts) {
    if (m.has(o.code)) return `option ${o.code} repeated`;
    m.set(o.code, o.data);
  }
  const st = m.get(FO.bindingStatus);
  if (st === undefined || st.length !== 1) return "binding-status missing";
  const status = bindingStateFromCode(st[0]!);
  if (status === undefined) return `binding-status ${st[0]} unknown`;
  const out: { -readonly [K in keyof BindingUpdate]: BindingUpdate[K] } = { ip, status };
  const time = (
    code: number,
    key: "clttSec" | "leaseEndSec" | "potentialEndSec" | "stateStartSec",
  ) => {
    const d = m.get(code);
    if (d === undefined) return undefined;
    if (d.length !== 4) return `option ${code} length ${d.length}`;
    out[key] = readUint(d);
    return undefined;
  };
  const bad = time(FO.clientLastTransactionTime, "clttSec") ??
    time(FO.leaseExpirationTime, "leaseEndSec") ??
    time(FO.potentialExpirationTime, "potentialEndSec") ??
    time(FO.startTimeOfState, "stateStartSec");
  if (bad !== undefined) return bad;
  const flags = m.get(FO.ipFlags);
  if (flags !== undefined) {
    // isc-notes §3.3: the draft's diagram says length 1, ISC sends 2; accept both.
    if (flags.length !== 1 && flags.length !== 2) return "IP-flags length";
    out.ipFlags = readUint(flags);
  }
  const cid = m.get(FO.clientIdentifier);
  if (cid !== undefined) out.clientId = cid.slice();
  const hw = m.get(FO.clientHardwareAddress);
  if (hw !== undefined) {
    if (hw.length < 1) return "client-hardware-address empty";
    out.hardware = { htype: hw[0]!, addr: hw.slice(1) };
  }
  const ddns = m.get(FO.ddns);
  if (ddns !== undefined) {
    if (ddns.length < 2) return "DDNS too short";
    out.ddns = { flags: readUint(ddns.subarray(0, 2)), fqdn: ddns.slice(2) };
  }
  // Embedded DHCP options that do not parse are ignored: they are SHOULD-level extras.
  const req = m.get(FO.clientRequestOptions);
  const reqOpts = req === undefined ? undefined : parseEmbeddedDhcpOptions(req);
  if (reqOpts !== undefined) {
    const h = reqOpts.get(DHCP_HOST_NAME);
    const v = reqOpts.get(DHCP_VENDOR_CLASS);
    const r = reqOpts.get(DHCP_RELAY_AGENT_INFO);
    if (h !== undefined) out.hostname = utf8.decode(h);
    if (v !== undefined) out.vendorClass = utf8.decode(v);
    if (r !== undefined) out.relayAgentInfo = r;
  }
  const rep = m.get(FO.clientReplyOptions);
  const repOpts = rep === undefined ? undefined : parseEmbeddedDhcpOptions(rep);
  if (repOpts !== undefined) out.replyOptions = repOpts;
  return out;
}

/** BNDUPD body. Returns "kind:message" only for errors that make the whole message unusable. */
export function parseBindingUpdates(opts: readonly Opt[]): ParsedBindings | string {
  const gs = groups(opts);
  if (typeof gs === "string") return gs;
  if (gs.length === 0) return "missing-option:BNDUPD without assigned-IP-address (§6.3)";
  const parsed: ParsedBindings = { bindings: [], rejected: [] };
  for (const g of gs) {
    const b = parseOne(g.ip, g.opts);
    if (typeof b === "string") {
      parsed.rejected.push({
        ip: g.ip,
        rejectReason: REJECT.missingBindingInformation,
        message: b,
      });
    } else parsed.bindings.push(b);
  }
  return parsed;
}

/** BNDACK body: per address, reject-reason and message if present (§6.3, §7.2). */
export function parseBindingAcks(opts: readonly Opt[]): BindingAck[] | string {
  const gs = groups(opts);
  if (typeof gs === "string") return gs;
  if (gs.length === 0) return "missing-option:BNDACK without assigned-IP-address (§6.3)";
  return gs.map((g) => {
    const r = g.opts.find((o) => o.code === FO.rejectReason);
    const msg = g.opts.find((o) => o.code === FO.message);
    return {
      ip: g.ip,
      ...(r === undefined || r.data.length < 1 ? {} : { rejectReason: r.data[0]! }),
      ...(msg === undefined ? {} : { message: utf8.decode(msg.data) }),
    };
  });
}

const enc = new TextEncoder();

/** Writes one BNDUPD transaction, assigned-IP-address first (Table 7.1-1 note 3). */
export function writeBindingUpdate(w: ByteWriter, b: BindingUpdate): void {
  w.option(FO.assignedIpAddress, ipv4ToBytes(b.ip)).optU8(
    FO.bindingStatus,
    BINDING_STATUS_CODE[b.status],
  );
  if (b.ipFlags !== undefined && b.ipFlags !== 0) w.optU16(FO.ipFlags, b.ipFlags);
  if (b.clientId !== undefined && b.clientId.length > 0) w.option(FO.clientIdentifier, b.clientId);
  if (b.hardware !== undefined) {
    const hw = new Uint8Array(1 + b.hardware.addr.length);
    hw[0] = b.hardware.htype;
    hw.set(b.hardware.addr, 1);
    w.option(FO.clientHardwareAddress, hw);
  }
  if (b.leaseEndSec !== undefined) w.optU32(FO.leaseExpirationTime, b.leaseEndSec);
  if (b.potentialEndSec !== undefined) w.optU32(FO.potentialExpirationTime, b.potentialEndSec);
  if (b.stateStartSec !== undefined) w.optU32(FO.startTimeOfState, b.stateStartSec);
  if (b.clttSec !== undefined) w.optU32(FO.clientLastTransactionTime, b.clttSec);
  if (b.ddns !== undefined) {
    w.option(FO.ddns, new ByteWriter().u16(b.ddns.flags).bytes(b.ddns.fqdn).finish());
  }
  const req = new Map<number, Uint8Array>();
  if (b.hostname) req.set(DHCP_HOST_NAME, enc.encode(b.hostname));
  if (b.vendorClass) req.set(DHCP_VENDOR_CLASS, enc.encode(b.vendorClass));
  if (b.relayAgentInfo !== undefined && b.relayAgentInfo.length > 0) {
    req.set(DHCP_RELAY_AGENT_INFO, b.relayAgentInfo);
  }
  if (req.size > 0) w.option(FO.clientRequestOptions, encodeEmbeddedDhcpOptions(req));
  if (b.replyOptions !== undefined && b.replyOptions.size > 0) {
    w.option(FO.clientReplyOptions, encodeEmbeddedDhcpOptions(b.replyOptions));
  }
}

/** Writes one BNDACK transaction: the address, and on rejection reason and message (§7.2.1). */
export function writeBindingAck(w: ByteWriter, a: BindingAck): void {
  w.option(FO.assignedIpAddress, ipv4ToBytes(a.ip));
  if (a.rejectReason !== undefined) {
    w.optU8(FO.rejectReason, a.rejectReason);
    if (a.message !== undefined) w.optText(FO.message, a.message);
  }
}

/** Encoded size of one transaction, for packing BNDUPDs under 2048 bytes. */
export function bindingUpdateSize(b: BindingUpdate): number {
  const w = new ByteWriter();
  writeBindingUpdate(w, b);
  return w.length;
}

/**
 * Packs transactions into BNDUPD-sized batches (§6.3 allows several per message). reserve is
 * the room for header and digest: 12 + 4 + 1 + 32 with HMAC-SHA-256.
 */
export function packBindingUpdates(
  bindings: readonly BindingUpdate[],
  maxLen = 2048,
  reserve = 49,
): BindingUpdate[][] {
  const out: BindingUpdate[][] = [];
  let cur: BindingUpdate[] = [];
  let size = reserve;
  for (const b of bindings) {
    const n = bindingUpdateSize(b);
    if (cur.length > 0 && size + n > maxLen) {
      out.push(cur);
      cur = [];
      size = reserve;
    }
    cur.push(b);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
