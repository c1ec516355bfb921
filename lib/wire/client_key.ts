/**
 * Client identity. RFC 2131 §4.2: the server identifies a client by its client identifier
 * (option 61) when present, else by htype + chaddr; RFC 4361 §6.1 keeps that rule for
 * DUID-based identifiers, which are just longer option 61 values.
 */
import type { DhcpPacket } from "./dhcp_message.ts";
import { toHex } from "./bytes.ts";

const OPTION_CLIENT_IDENTIFIER = 61;
const CHADDR_LENGTH = 16;

/** chaddr[0..hlen), with hlen clamped to the 16-byte field (a larger hlen is a lie). */
export function hwAddr(p: DhcpPacket): Uint8Array {
  return p.chaddr.subarray(0, Math.min(p.hlen, CHADDR_LENGTH, p.chaddr.length));
}

/** Hex of chaddr[0..hlen) with ":" separators, e.g. "02:00:5e:10:00:01". */
export function hwAddrHex(p: DhcpPacket): string {
  return formatMac(hwAddr(p));
}

export function formatMac(b: Uint8Array): string {
  return toHex(b, ":");
}

/** A stored hardware address (plain hex, as in Lease.hwAddr) in the same "02:00:5e:..." form. */
export function macFromHex(hex: string): string {
  return hex.match(/../g)?.join(":") ?? "";
}

/**
 * "id:<hex of option 61>" when option 61 is present and non-empty, else
 * "hw:<htype hex>:<hex of chaddr[0..hlen)>". Stable across restarts: used as the lease key.
 */
export function clientKey(p: DhcpPacket): string {
  return clientKeyOf(p.options.get(OPTION_CLIENT_IDENTIFIER), p.htype, hwAddr(p));
}

/** The same rule from the parts (a replicated binding carries them apart, draft-12 §12.4-5). */
export function clientKeyOf(
  clientId: Uint8Array | undefined,
  htype: number,
  hw: Uint8Array,
): string {
  if (clientId !== undefined && clientId.length > 0) return `id:${toHex(clientId)}`;
  return `hw:${htype.toString(16).padStart(2, "0")}:${toHex(hw)}`;
}

/**
 * RFC 3074 §4: the load-balancing hash covers the client identifier option's value when
 * present, else chaddr[0..hlen); "at most the first sixteen bytes" of either.
 * (An empty option 61 is treated as absent, as in clientKey.)
 */
export function hashKey(p: DhcpPacket): Uint8Array {
  const id = p.options.get(OPTION_CLIENT_IDENTIFIER);
  if (id !== undefined && id.length > 0) return id.subarray(0, CHADDR_LENGTH);
  return hwAddr(p);
}
