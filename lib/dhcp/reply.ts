/**
 * Builds DHCPOFFER, DHCPACK and DHCPNAK packets (RFC 2131 §4.3.1-§4.3.5, table 3): header
 * fields, lease time and T1/T2, server id, configured options filtered by the client's
 * parameter request list, and the options a server echoes (61, 82, 118).
 */
import type { PoolConfig, ReservationConfig, SubnetConfig } from "../config/config.ts";
import type { Lease } from "../lease/lease.ts";
import type { OptionBag } from "../wire/dhcp_options.ts";
import { BOOTREPLY, type DhcpPacket, FLAG_BROADCAST } from "../wire/dhcp_message.ts";
import { type Ipv4, IPV4_ZERO, ipv4ToBytes, maskOf } from "../wire/ipv4.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import type { HandleContext } from "./handle_context.ts";
import type { DhcpRequest } from "./request.ts";

export interface BuiltReply {
  readonly packet: DhcpPacket;
  readonly replyType: "OFFER" | "ACK" | "NAK";
  /** Encoder hint: the client's option 55 order (RFC 2131 §4.3.1 "in the order requested"). */
  readonly parameterOrder: readonly number[];
  readonly maxMessageSize: number;
}

/**
 * Options sent whenever configured, even if the client did not list them: the basics every
 * client needs (mask, routers, DNS, domain) and the lease options (RFC 2131 §4.3.1 table 3).
 */
const ALWAYS_SENT: ReadonlySet<number> = new Set([
  OPT.subnetMask,
  OPT.routers,
  OPT.domainNameServers,
  OPT.domainName,
  OPT.ipAddressLeaseTime,
  OPT.serverIdentifier,
  OPT.renewalTime,
  OPT.rebindingTime,
]);

/** Options the core sets or echoes itself; configured values for them are ignored. */
const CORE_OWNED: ReadonlySet<number> = new Set([
  OPT.dhcpMessageType,
  OPT.serverIdentifier,
  OPT.ipAddressLeaseTime,
  OPT.renewalTime,
  OPT.rebindingTime,
  OPT.clientIdentifier,
  OPT.relayAgentInformation,
  OPT.subnetSelection,
  OPT.optionOverload,
  OPT.parameterRequestList,
  OPT.maxMessageSize,
  OPT.requestedIpAddress,
  OPT.message,
]);

export interface LeaseGrant {
  readonly leaseSec: number;
  readonly endSec: number;
}

/**
 * RFC 2131 §4.3.1: the lease time is the client's request (option 51) if acceptable, here
 * clamped to [min, max], else the default; the scope then caps the end (draft-12 §5.2.1 MCLT).
 */
export function leaseGrant(
  req: DhcpRequest,
  subnet: SubnetConfig,
  existing: Lease | undefined,
  ctx: HandleContext,
): LeaseGrant {
  const t = subnet.leaseTimes;
  const asked = req.requestedLeaseSec;
  const wanted = asked === undefined ? t.defaultSec : Math.min(t.maxSec, Math.max(t.minSec, asked));
  const endSec = Math.max(
    ctx.nowSec,
    ctx.scope.capLeaseEnd(existing, ctx.nowSec + wanted, ctx.nowSec),
  );
  return { leaseSec: endSec - ctx.nowSec, endSec };
}

/**
 * Option values are shared, never written after building (the encoder only reads them), so the
 * few distinct 4-byte values a server sends (lease times, its id, masks) are made once: small
 * typed arrays are costly to allocate on the per-packet path.
 */
const FOUR_BYTES = new Map<number, Uint8Array>();

function u32(n: number): Uint8Array {
  const key = n >>> 0;
  let v = FOUR_BYTES.get(key);
  if (v === undefined) {
    v = ipv4ToBytes(key as Ipv4);
    if (FOUR_BYTES.size < 4096) FOUR_BYTES.set(key, v);
  }
  return v;
}

/** One shared value per message type: option values are never written after building. */
const MSG_TYPE_VALUES = Array.from({ length: 9 }, (_, i) => Uint8Array.of(i));

function msgType(value: number): Uint8Array {
  return MSG_TYPE_VALUES[value] ?? Uint8Array.of(value);
}

interface MergedOptions {
  readonly config: HandleContext["config"];
  readonly subnet: SubnetConfig;
  readonly pool: PoolConfig | undefined;
  readonly values: ReadonlyMap<number, Uint8Array>;
  /** values' codes in ascending order. */
  readonly codes: readonly number[];
}

/**
 * Merged options per most specific level (reservation, else pool, else subnet): a reservation
 * has one address and so one pool, a pool one subnet. Config objects are immutable and a
 * reload makes new ones, so an entry is valid while its config is the one in use.
 */
const mergedCache = new WeakMap<object, MergedOptions>();

/** Configured options, later levels overriding earlier: global < subnet < pool < reservation. */
function mergedOptions(
  ctx: HandleContext,
  subnet: SubnetConfig,
  pool: PoolConfig | undefined,
  reservation: ReservationConfig | undefined,
): MergedOptions {
  const key: object = reservation ?? pool ?? subnet;
  const cached = mergedCache.get(key);
  if (
    cached !== undefined && cached.config === ctx.config && cached.subnet === subnet &&
    cached.pool === pool
  ) return cached;
  const merged = new Map<number, Uint8Array>();
  const layers: (OptionBag | undefined)[] = [
    ctx.config.options,
    subnet.options,
    pool?.options,
    reservation?.options,
  ];
  for (const layer of layers) {
    for (const [code, value] of layer ?? []) if (!CORE_OWNED.has(code)) merged.set(code, value);
  }
  if (reservation?.hostname !== undefined && !merged.has(OPT.hostName)) {
    merged.set(OPT.hostName, new TextEncoder().encode(reservation.hostname));
  }
  const entry = {
    config: ctx.config,
    subnet,
    pool,
    values: merged,
    codes: [...merged.keys()].sort((a, b) => a - b),
  };
  mergedCache.set(key, entry);
  return entry;
}

/** RFC 6842 (61), RFC 3046 §2.2 (82, unchanged) and RFC 3011 §3 (118) echoes. */
function echoes(req: DhcpRequest, out: Map<number, Uint8Array>): void {
  const p = req.packet.options;
  for (const code of [OPT.clientIdentifier, OPT.subnetSelection, OPT.relayAgentInformation]) {
    const v = p.get(code);
    if (v !== undefined) out.set(code, v);
  }
}

// Replies never carry sname/file (no next server, no boot file); encode only reads these.
const ZERO_SNAME = new Uint8Array(64);
const ZERO_FILE = new Uint8Array(128);

function header(req: DhcpRequest, fields: {
  yiaddr: Ipv4;
  ciaddr: Ipv4;
  flags: number;
  options: OptionBag;
}): DhcpPacket {
  const p = req.packet;
  // RFC 2131 table 3: xid, flags, giaddr, chaddr from the request; siaddr 0 (no next server).
  return {
    op: BOOTREPLY,
    htype: p.htype,
    hlen: p.hlen,
    hops: 0,
    xid: p.xid,
    secs: 0,
    flags: fields.flags,
    ciaddr: fields.ciaddr,
    yiaddr: fields.yiaddr,
    siaddr: IPV4_ZERO,
    giaddr: p.giaddr,
    chaddr: p.chaddr.slice(0, 16),
    sname: ZERO_SNAME,
    file: ZERO_FILE,
    options: fields.options,
  };
}

export interface OfferOrAck {
  readonly type: "OFFER" | "ACK";
  readonly subnet: SubnetConfig;
  /** Address granted; undefined for the ACK of an INFORM (RFC 2131 §4.3.5). */
  readonly ip: Ipv4 | undefined;
  readonly grant: LeaseGrant | undefined;
  readonly pool: PoolConfig | undefined;
  readonly reservation: ReservationConfig | undefined;
}

/** DHCPOFFER / DHCPACK (RFC 2131 §4.3.1, §4.3.2, §4.3.5). */
export function buildOfferOrAck(req: DhcpRequest, ctx: HandleContext, r: OfferOrAck): BuiltReply {
  const prl = req.parameterRequestList;
  const wanted = new Set(prl);
  const out = new Map<number, Uint8Array>();
  out.set(OPT.dhcpMessageType, msgType(r.type === "OFFER" ? MSG.OFFER : MSG.ACK));
  out.set(OPT.serverIdentifier, u32(ctx.config.serverId));
  if (r.grant !== undefined) {
    // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease; ratios are configured.
    const t = r.subnet.leaseTimes;
    out.set(OPT.ipAddressLeaseTime, u32(r.grant.leaseSec));
    out.set(OPT.renewalTime, u32(Math.floor(r.grant.leaseSec * t.t1Ratio)));
    out.set(OPT.rebindingTime, u32(Math.floor(r.grant.leaseSec * t.t2Ratio)));
  }
  // RFC 2132 §3.3: the mask is always sent (configured value, else from the prefix).
  const merged = mergedOptions(ctx, r.subnet, r.pool, r.reservation);
  out.set(
    OPT.subnetMask,
    merged.values.get(OPT.subnetMask) ?? u32(maskOf(r.subnet.cidr.prefixLen)),
  );
  for (const code of merged.codes) {
    if (code === OPT.subnetMask) continue;
    // RFC 2131 §4.3.1: other options only when the client asked for them.
    if (ALWAYS_SENT.has(code) || wanted.has(code)) {
      out.set(code, merged.values.get(code) as Uint8Array);
    }
  }
  echoes(req, out);
  const p = req.packet;
  return {
    packet: header(req, {
      yiaddr: r.ip ?? IPV4_ZERO,
      ciaddr: r.type === "ACK" ? p.ciaddr : IPV4_ZERO,
      flags: p.flags,
      options: out,
    }),
    replyType: r.type,
    parameterOrder: prl,
    maxMessageSize: req.maxMessageSize,
  };
}

/**
 * DHCPNAK (RFC 2131 §4.3.2, table 3): only 53, 54, 56 and the echoes of 61 and 82. Through a
 * relay the broadcast bit is set so the relay broadcasts it to the client.
 */
export function buildNak(req: DhcpRequest, ctx: HandleContext, message: string): BuiltReply {
  const out = new Map<number, Uint8Array>();
  out.set(OPT.dhcpMessageType, msgType(MSG.NAK));
  out.set(OPT.serverIdentifier, u32(ctx.config.serverId));
  out.set(OPT.message, new TextEncoder().encode(message));
  const p = req.packet;
  const clientId = p.options.get(OPT.clientIdentifier);
  if (clientId !== undefined) out.set(OPT.clientIdentifier, clientId);
  const relay = p.options.get(OPT.relayAgentInformation);
  if (relay !== undefined) out.set(OPT.relayAgentInformation, relay);
  return {
    packet: header(req, {
      yiaddr: IPV4_ZERO,
      ciaddr: IPV4_ZERO,
      flags: p.giaddr !== 0 ? p.flags | FLAG_BROADCAST : p.flags,
      options: out,
    }),
    replyType: "NAK",
    parameterOrder: [],
    maxMessageSize: req.maxMessageSize,
  };
}
