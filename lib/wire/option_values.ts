/**
 * Value codecs for the option kinds in option_registry.ts: config value (from TOML) -> bytes,
 * and bytes -> a display value for logs and lease listings. Errors are written for a network
 * engineer reading a config error, as {problem, fix}.
 */
import { formatIpv4, ipv4, ipv4FromBytes, parseCidr, parseIpv4 } from "./ipv4.ts";
import { fromHex, readU16, readU32, toHex } from "./bytes.ts";

export type ValueResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly problem: string; readonly fix: string };

/** JSON-shaped value for display (logs, /status, lease listings). */
export type DisplayValue =
  | string
  | number
  | boolean
  | readonly DisplayValue[]
  | { readonly [key: string]: DisplayValue };

export function ok(bytes: Uint8Array): ValueResult {
  return { ok: true, bytes };
}

export function bad(problem: string, fix: string): ValueResult {
  return { ok: false, problem, fix };
}

export function show(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "bigint") return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const IP_FIX = 'write four decimal octets, e.g. "192.0.2.1"';

export function encodeIpv4(value: unknown): ValueResult {
  const ip = typeof value === "string" ? parseIpv4(value) : undefined;
  if (ip === undefined) return bad(`${show(value)} is not an IPv4 address`, IP_FIX);
  return ok(new Uint8Array([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255]));
}

/** A single value or an array of values, each encoded by `one`, concatenated. */
export function encodeList(
  value: unknown,
  one: (v: unknown) => ValueResult,
  minItems: number,
  what: string,
): ValueResult {
  const items = Array.isArray(value) ? value : [value];
  if (items.length < minItems) {
    return bad(`the list is empty`, `give at least ${minItems} ${what}`);
  }
  const parts: Uint8Array[] = [];
  for (const item of items) {
    const r = one(item);
    if (!r.ok) return r;
    parts.push(r.bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return ok(out);
}

/** Option 21 (address, mask) and 33 (destination, router): "a.b.c.d a.b.c.d" or a 2-array. */
export function encodeIpv4Pair(value: unknown, first: string, second: string): ValueResult {
  const pair = typeof value === "string" ? value.trim().split(/\s+/) : value;
  const fix = `write each entry as "${first} ${second}", e.g. "10.1.0.0 192.0.2.1"`;
  if (!Array.isArray(pair) || pair.length !== 2) {
    return bad(`${show(value)} is not a pair of addresses (${first} and ${second})`, fix);
  }
  const a = encodeIpv4(pair[0]);
  if (!a.ok) return a;
  const b = encodeIpv4(pair[1]);
  if (!b.ok) return b;
  return ok(new Uint8Array([...a.bytes, ...b.bytes]));
}

export type IntWidth = "u8" | "u16" | "u32" | "i32";
const RANGES: Record<IntWidth, readonly [number, number]> = {
  u8: [0, 255],
  u16: [0, 65535],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
};

export function encodeInt(value: unknown, width: IntWidth, min?: number): ValueResult {
  const n = typeof value === "bigint" ? Number(value) : value;
  const [lo0, hi] = RANGES[width];
  const lo = min ?? lo0;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    return bad(`${show(value)} is not a whole number`, `write a number from ${lo} to ${hi}`);
  }
  if (n < lo || n > hi) {
    return bad(`${n} is out of range for this option`, `write a number from ${lo} to ${hi}`);
  }
  const size = width === "u8" ? 1 : width === "u16" ? 2 : 4;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (n >>> (8 * (size - 1 - i))) & 255;
  return ok(out);
}

export function encodeBool(value: unknown): ValueResult {
  if (typeof value !== "boolean") {
    return bad(`${show(value)} is not true or false`, "write true or false, without quotes");
  }
  return ok(new Uint8Array([value ? 1 : 0]));
}

export function encodeText(value: unknown, minLen: number): ValueResult {
  if (typeof value !== "string") {
    return bad(`${show(value)} is not text`, 'write the value in double quotes, e.g. "example"');
  }
  const bytes = new TextEncoder().encode(value);
  if (bytes.length < minLen) return bad("the text is empty", "write at least one character");
  return ok(bytes);
}

export function encodeHex(value: unknown, minLen: number): ValueResult {
  const bytes = typeof value === "string" ? fromHex(value) : undefined;
  const fix = 'write the bytes in hex, e.g. "01:02:ab"';
  if (bytes === undefined) return bad(`${show(value)} is not hex bytes`, fix);
  if (bytes.length < minLen) return bad(`the value needs at least ${minLen} bytes`, fix);
  return ok(bytes);
}

/**
 * RFC 3442 §3: each route is the prefix width, the significant octets of the destination
 * (ceil(width / 8)), then the router. Accepts {destination, router} or "10.0.0.0/8 192.0.2.1".
 */
export function encodeClasslessRoute(value: unknown): ValueResult {
  let dest: unknown;
  let router: unknown;
  if (typeof value === "string") {
    [dest, router] = value.trim().split(/\s+/);
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    dest = (value as Record<string, unknown>)["destination"];
    router = (value as Record<string, unknown>)["router"];
  }
  const fix = 'write {destination = "10.0.0.0/8", router = "192.0.2.1"} or "10.0.0.0/8 192.0.2.1"';
  if (typeof dest !== "string" || typeof router !== "string") {
    return bad(`${show(value)} is not a route (destination and router)`, fix);
  }
  const cidr = parseCidr(dest);
  if (cidr === undefined) {
    return bad(
      `'${dest}' is not a network prefix`,
      'write the network with its prefix length and no host bits set, e.g. "10.0.0.0/8"',
    );
  }
  const gw = encodeIpv4(router);
  if (!gw.ok) return gw;
  const significant = Math.ceil(cidr.prefixLen / 8);
  const out = new Uint8Array(1 + significant + 4);
  out[0] = cidr.prefixLen;
  for (let i = 0; i < significant; i++) out[1 + i] = (cidr.network >>> (24 - 8 * i)) & 255;
  out.set(gw.bytes, 1 + significant);
  return ok(out);
}

/** RFC 3397 §2 / RFC 1035 §3.1: uncompressed labels; compression is optional for encoders. */
export function encodeDomainName(value: unknown): ValueResult {
  const fix = 'write a domain name such as "example.com"';
  if (typeof value !== "string" || value.trim() === "") {
    return bad(`${show(value)} is not a domain name`, fix);
  }
  const name = value.trim().replace(/\.$/, "");
  const out: number[] = [];
  for (const label of name.split(".")) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length === 0 || bytes.length > 63) {
      return bad(`'${value}' has an empty label or one longer than 63 characters`, fix);
    }
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  if (out.length > 255) return bad(`'${value}' is longer than 255 bytes`, fix);
  return ok(new Uint8Array(out));
}

/** The candidate closest to a mistyped name (for "did you mean"), if any is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 4;
  for (const c of candidates) {
    const dist = editDistance(name, c);
    if (dist < bestDist || (name.length >= 4 && c.includes(name) && bestDist > 1)) {
      best = c;
      bestDist = Math.min(dist, 1);
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

// ---------------------------------------------------------------- display (bytes -> value)

export function hexDisplay(b: Uint8Array): string {
  return toHex(b, ":");
}

export function ipv4ListDisplay(b: Uint8Array): readonly string[] | undefined {
  if (b.length % 4 !== 0) return undefined;
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 4) out.push(formatIpv4(ipv4FromBytes(b, i)));
  return out;
}

export function intDisplay(b: Uint8Array, width: IntWidth): number | undefined {
  if (width === "u8") return b.length === 1 ? b[0] : undefined;
  if (width === "u16") return b.length === 2 ? readU16(b, 0) : undefined;
  if (b.length !== 4) return undefined;
  const u = readU32(b, 0);
  return width === "i32" ? u | 0 : u;
}

export function textDisplay(b: Uint8Array): string {
  // Latin-1-safe rendering of client-supplied text; trailing NULs (some clients add one) drop.
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, end));
}

/** RFC 3442 routes back into the "10.0.0.0/8 192.0.2.1" form; undefined when malformed. */
export function classlessRoutesDisplay(b: Uint8Array): readonly string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < b.length) {
    const width = b[i] ?? 0;
    if (width > 32) return undefined;
    const sig = Math.ceil(width / 8);
    if (i + 1 + sig + 4 > b.length) return undefined;
    let net = 0;
    for (let k = 0; k < 4; k++) net = net * 256 + (k < sig ? b[i + 1 + k] ?? 0 : 0);
    const router = ipv4FromBytes(b, i + 1 + sig);
    out.push(`${formatIpv4(ipv4(net))}/${width} ${formatIpv4(router)}`);
    i += 1 + sig + 4;
  }
  return out;
}

/**
 * RFC 3397 domain search list, with RFC 1035 §4.1.4 compression pointers (which may point
 * anywhere earlier in the concatenated option). Bounded: at most 255 jumps per name.
 */
export function domainListDisplay(b: Uint8Array): readonly string[] | undefined {
  const names: string[] = [];
  let i = 0;
  while (i < b.length) {
    const labels: string[] = [];
    let pos = i;
    let next = -1;
    let jumps = 0;
    for (;;) {
      const len = b[pos];
      if (len === undefined) return undefined;
      if (len === 0) {
        if (next < 0) next = pos + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        const target = ((len & 0x3f) << 8) | (b[pos + 1] ?? 0);
        if (pos + 1 >= b.length || target >= pos || ++jumps > 255) return undefined;
        if (next < 0) next = pos + 2;
        pos = target;
        continue;
      }
      if (len > 63 || pos + 1 + len > b.length) return undefined;
      labels.push(textDisplay(b.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    names.push(labels.join("."));
    i = next;
  }
  return names;
}
