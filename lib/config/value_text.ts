/**
 * Parsers for the small text formats configuration values use: address ranges, hex octet
 * strings (MAC addresses, client identifiers) and "host:port". Each returns undefined or a
 * reason instead of throwing; the caller words the issue.
 */
import { type Ipv4, parseIpv4 } from "../wire/ipv4.ts";
import type { AddressRange } from "./config.ts";

export type Parsed<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly problem: string;
  readonly fix: string;
};

/** "192.0.2.10-192.0.2.20" (spaces allowed around the dash). Start > end is NOT rejected here. */
export function parseRange(text: string): Parsed<AddressRange> {
  const parts = text.split("-");
  if (parts.length !== 2) {
    return {
      ok: false,
      problem: `"${text}" is not an address range`,
      fix: 'write it as "first-last", e.g. "192.0.2.100-192.0.2.199"',
    };
  }
  const [a, b] = parts as [string, string];
  const start = parseIpv4(a);
  const end = parseIpv4(b);
  if (start === undefined || end === undefined) {
    const bad = start === undefined ? a.trim() : b.trim();
    return {
      ok: false,
      problem: `"${bad}" in range "${text}" is not an IPv4 address`,
      fix: "use dotted-quad addresses, e.g. 192.0.2.100-192.0.2.199",
    };
  }
  return { ok: true, value: { start, end } };
}

/** A single address or a range, as used by pool exclusions. */
export function parseAddressOrRange(text: string): Parsed<AddressRange> {
  if (!text.includes("-")) {
    const ip = parseIpv4(text);
    if (ip === undefined) {
      return {
        ok: false,
        problem: `"${text}" is not an IPv4 address or range`,
        fix: 'write an address ("192.0.2.150") or a range ("192.0.2.160-192.0.2.165")',
      };
    }
    return { ok: true, value: { start: ip, end: ip } };
  }
  return parseRange(text);
}

/**
 * Hex octets separated by ":" or "-" ("52:54:00:12:34:56"), or run together ("525400123456").
 * Returns undefined when malformed.
 */
export function parseHexOctets(text: string): Uint8Array | undefined {
  const t = text.trim();
  let pairs: string[];
  if (/^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2})*$/.test(t)) {
    pairs = t.split(/[:-]/);
  } else if (/^([0-9a-fA-F]{2})+$/.test(t)) {
    pairs = t.match(/../g) ?? [];
  } else {
    return undefined;
  }
  return new Uint8Array(pairs.map((p) => parseInt(p, 16)));
}

/** "127.0.0.1:8067" -> address and port. The host must be a dotted-quad IPv4 address. */
export function parseHostPort(text: string): Parsed<{ address: string; port: number }> {
  const bad = {
    ok: false as const,
    problem: `"${text}" is not "host:port"`,
    fix: 'write an IPv4 address and a port, e.g. "127.0.0.1:8067"',
  };
  const m = /^([^:]+):(\d{1,5})$/.exec(text.trim());
  if (m === null || m[1] === undefined || m[2] === undefined) return bad;
  const port = Number(m[2]);
  if (parseIpv4(m[1]) === undefined) {
    return {
      ok: false,
      problem: `host "${m[1]}" in "${text}" is not an IPv4 address`,
      fix: 'use a dotted-quad address, e.g. "127.0.0.1:8067" (or "0.0.0.0:8067" for all)',
    };
  }
  if (port < 1 || port > 65535) {
    return {
      ok: false,
      problem: `port ${port} in "${text}" is out of range`,
      fix: "use a port from 1 to 65535",
    };
  }
  return { ok: true, value: { address: m[1], port } };
}

/** Hostname as RFC 1123 §2.1 allows: dot-separated labels of letters, digits and hyphens. */
export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  return text.split(".").every((label) =>
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)
  );
}

export function rangeSize(r: AddressRange): number {
  return r.end - r.start + 1;
}

export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function rangeContains(r: AddressRange, ip: Ipv4): boolean {
  return r.start <= ip && ip <= r.end;
}
