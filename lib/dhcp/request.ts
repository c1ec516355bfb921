/**
 * Classifies a client packet: its message type, the client state of a DHCPREQUEST (RFC 2131
 * §4.3.2), and the few option values the core reads (requested IP, server id, lease time, PRL,
 * relay information, subnet selection). Pure and total: untrusted input never throws.
 */
import { type DhcpPacket } from "../wire/dhcp_message.ts";
import { type Ipv4, ipv4FromBytes } from "../wire/ipv4.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import { clientKey, hashKey, hwAddr } from "../wire/client_key.ts";
import { parseRelayAgentInformation } from "../wire/relay_agent.ts";
import type { DropReason, MessageType } from "./decision.ts";

/**
 * RFC 2131 §4.3.2 client states of a DHCPREQUEST. RENEWING (unicast to us) and REBINDING
 * (broadcast) carry the same fields; only the IP destination differs, which the transport does
 * not tell the core, so both are one state here and are answered the same way.
 */
export type RequestState = "SELECTING" | "INIT-REBOOT" | "RENEWING-OR-REBINDING";

/** What a relay agent added (RFC 3046 option 82), as far as the core uses it. */
export interface RelayInfo {
  /** The whole option 82 value, echoed unchanged in replies (RFC 3046 §2.2). */
  readonly raw: Uint8Array;
  readonly circuitId: Uint8Array | undefined; // sub-option 1
  readonly remoteId: Uint8Array | undefined; // sub-option 2
  /** RFC 3527 link-selection sub-option 5. */
  readonly linkSelection: Ipv4 | undefined;
}

/** The identity of a client as allocation sees it (RFC 2131 §4.2: client id, else chaddr). */
export interface ClientIdentity {
  readonly clientKey: string;
  readonly htype: number;
  /** chaddr truncated to hlen (at most 16 bytes). */
  readonly hwAddr: Uint8Array;
  /** Option 61 value, undefined when the client sent none. */
  readonly clientId: Uint8Array | undefined;
}

export interface DhcpRequest extends ClientIdentity {
  readonly packet: DhcpPacket;
  readonly type: MessageType;
  /** Only for REQUEST. */
  readonly state: RequestState | undefined;
  /** RFC 3074 hash input for ServingScope.answers. */
  readonly hashKey: Uint8Array;
  readonly serverId: Ipv4 | undefined; // option 54
  readonly requestedIp: Ipv4 | undefined; // option 50
  readonly requestedLeaseSec: number | undefined; // option 51
  /** Option 55 codes in the client's order, without duplicates, Pad or End. */
  readonly parameterRequestList: readonly number[];
  /** Option 57, at least 576 (RFC 2132 §9.10); 576 when absent. */
  readonly maxMessageSize: number;
  readonly relay: RelayInfo | undefined;
  readonly subnetSelection: Ipv4 | undefined; // option 118 (RFC 3011)
}

export type Classified =
  | { readonly ok: true; readonly request: DhcpRequest }
  | { readonly ok: false; readonly reason: DropReason };

const MESSAGE_TYPES: Readonly<Record<number, MessageType>> = {
  [MSG.DISCOVER]: "DISCOVER",
  [MSG.OFFER]: "OFFER",
  [MSG.REQUEST]: "REQUEST",
  [MSG.DECLINE]: "DECLINE",
  [MSG.ACK]: "ACK",
  [MSG.NAK]: "NAK",
  [MSG.RELEASE]: "RELEASE",
  [MSG.INFORM]: "INFORM",
};

/** Option 53 as a name; undefined when absent or malformed, "unknown" when not a known value. */
export function messageTypeOf(p: DhcpPacket): MessageType | "unknown" | undefined {
  const v = p.options.get(OPT.dhcpMessageType);
  if (v === undefined || v.length !== 1) return undefined;
  return MESSAGE_TYPES[v[0] ?? 0] ?? "unknown";
}

/** An option holding exactly one IPv4 address, else undefined. */
export function optionIpv4(p: DhcpPacket, code: number): Ipv4 | undefined {
  const v = p.options.get(code);
  return v !== undefined && v.length === 4 ? ipv4FromBytes(v) : undefined;
}

function optionUint32(p: DhcpPacket, code: number): number | undefined {
  const v = p.options.get(code);
  return v !== undefined && v.length === 4 ? ipv4FromBytes(v) as number : undefined;
}

function optionUint16(p: DhcpPacket, code: number): number | undefined {
  const v = p.options.get(code);
  return v !== undefined && v.length === 2 ? ((v[0] ?? 0) << 8) | (v[1] ?? 0) : undefined;
}

function parameterRequestList(p: DhcpPacket): number[] {
  const v = p.options.get(OPT.parameterRequestList);
  if (v === undefined) return [];
  const seen = new Set<number>();
  for (const code of v) if (code !== OPT.pad && code !== OPT.end) seen.add(code);
  return [...seen];
}

/**
 * RFC 3046 §2.2: option 82 is echoed whatever it holds; a malformed one just yields no
 * sub-options (in particular no link-selection), so the request is served by giaddr.
 */
function relayInfoOf(raw: Uint8Array): RelayInfo {
  const parsed = parseRelayAgentInformation(raw);
  if (!parsed.ok) {
    return { raw, circuitId: undefined, remoteId: undefined, linkSelection: undefined };
  }
  const info = parsed.info;
  return {
    raw,
    circuitId: info.circuitId,
    remoteId: info.remoteId,
    linkSelection: info.linkSelection,
  };
}

/**
 * RFC 2131 §4.3.2 tells the REQUEST states apart by which of server id (54), requested IP (50)
 * and ciaddr are filled. Real clients are sloppy, so the rules here are lenient where that is
 * safe: a server id with ciaddr and no option 50 is a renewal; option 50 in a renewal is ignored.
 */
export function requestStateOf(
  serverId: Ipv4 | undefined,
  requestedIp: Ipv4 | undefined,
  ciaddr: Ipv4,
): RequestState | undefined {
  if (serverId !== undefined && requestedIp !== undefined) return "SELECTING";
  if (ciaddr !== 0) return "RENEWING-OR-REBINDING";
  if (serverId === undefined && requestedIp !== undefined) return "INIT-REBOOT";
  return undefined; // neither ciaddr nor option 50: nothing names an address
}

/** Reads the request; run after accept.ts has filtered op, option 53 and hlen. */
export function classify(p: DhcpPacket): Classified {
  const type = messageTypeOf(p);
  if (type === undefined) return { ok: false, reason: "no-message-type" };
  if (type === "unknown") return { ok: false, reason: "unknown-message-type" };
  const serverId = optionIpv4(p, OPT.serverIdentifier);
  const requestedIp = optionIpv4(p, OPT.requestedIpAddress);
  let state: RequestState | undefined;
  if (type === "REQUEST") {
    state = requestStateOf(serverId, requestedIp, p.ciaddr);
    if (state === undefined) return { ok: false, reason: "bad-request" };
  }
  const relayRaw = p.options.get(OPT.relayAgentInformation);
  const maxSize = optionUint16(p, OPT.maxMessageSize);
  return {
    ok: true,
    request: {
      packet: p,
      type,
      state,
      clientKey: clientKey(p),
      hashKey: hashKey(p),
      htype: p.htype,
      hwAddr: hwAddr(p),
      clientId: p.options.get(OPT.clientIdentifier),
      serverId,
      requestedIp,
      requestedLeaseSec: optionUint32(p, OPT.ipAddressLeaseTime),
      parameterRequestList: parameterRequestList(p),
      maxMessageSize: maxSize === undefined ? 576 : Math.max(576, maxSize),
      relay: relayRaw === undefined ? undefined : relayInfoOf(relayRaw),
      subnetSelection: optionIpv4(p, OPT.subnetSelection),
    },
  };
}
