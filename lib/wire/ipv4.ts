/**
 * IPv4 addresses as branded unsigned 32-bit numbers, and CIDR arithmetic.
 * Addresses are never strings inside Tandem (ARCHITECTURE.md, conventions).
 */

export type Ipv4 = number & { readonly __brand: "Ipv4" };

export const IPV4_ZERO = 0 as Ipv4;
export const IPV4_BROADCAST = 0xffffffff as Ipv4;

/** Brands a number as an address; the value is reduced to uint32. */
export function ipv4(n: number): Ipv4 {
  return (n >>> 0) as Ipv4;
}

/** Parses dotted-quad text; undefined when it is not exactly four decimal octets. */
export function parseIpv4(text: string): Ipv4 | undefined {
  const parts = text.trim().split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n as Ipv4;
}

export function formatIpv4(a: Ipv4): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function ipv4FromBytes(b: Uint8Array, offset = 0): Ipv4 {
  return (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) |
    (b[offset + 3] ?? 0)) >>> 0 as Ipv4;
}

export function ipv4ToBytes(a: Ipv4): Uint8Array {
  // Element stores, not an array literal: this runs several times per reply.
  const b = new Uint8Array(4);
  b[0] = a >>> 24;
  b[1] = (a >>> 16) & 255;
  b[2] = (a >>> 8) & 255;
  b[3] = a & 255;
  return b;
}

export interface Cidr {
  readonly network: Ipv4;
  readonly prefixLen: number;
}

export function maskOf(prefixLen: number): Ipv4 {
  return (prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0) as Ipv4;
}

/** Parses "a.b.c.d/len"; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, ...rest] = text.trim().split("/");
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) {
    return undefined;
  }
  const ip = parseIpv4(addr);
  const prefixLen = Number(len);
  if (ip === undefined || prefixLen > 32) return undefined;
  if (((ip & ~maskOf(prefixLen)) >>> 0) !== 0) return undefined;
  return { network: ip, prefixLen };
}

export function cidrContains(c: Cidr, a: Ipv4): boolean {
  return ((a & maskOf(c.prefixLen)) >>> 0) === c.network;
}

export function broadcastOf(c: Cidr): Ipv4 {
  return ((c.network | ~maskOf(c.prefixLen)) >>> 0) as Ipv4;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefixLen}`;
}
