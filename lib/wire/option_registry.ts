/**
 * ONE typed table of the DHCP options Tandem knows (RFC 2132 and the RFCs named per row).
 * Accessors and config encoding are derived from the table.
 *
 * CONTRACT (other modules depend on these exported names):
 *   OPT (name -> code constants used by the core), MSG (message type values, option 53),
 *   encodeOptionValue(name, value) for config, optionByName / optionByCode.
 */
import type { OptionBag } from "./dhcp_options.ts";
import { type Ipv4, ipv4FromBytes } from "./ipv4.ts";
import { readU16, readU32 } from "./bytes.ts";
import { parseRelayAgentInformation, relayAgentDisplay } from "./relay_agent.ts";
import {
  bad,
  classlessRoutesDisplay,
  closestName,
  type DisplayValue,
  domainListDisplay,
  encodeBool,
  encodeClasslessRoute,
  encodeDomainName,
  encodeHex,
  encodeInt,
  encodeIpv4,
  encodeIpv4Pair,
  encodeList,
  encodeText,
  hexDisplay,
  intDisplay,
  ipv4ListDisplay,
  show,
  textDisplay,
  type ValueResult,
} from "./option_values.ts";

export type { DisplayValue } from "./option_values.ts";

/** Option codes the server core reads or writes directly. */
export const OPT = {
  pad: 0,
  subnetMask: 1,
  routers: 3,
  domainNameServers: 6,
  hostName: 12,
  domainName: 15,
  broadcastAddress: 28,
  requestedIpAddress: 50,
  ipAddressLeaseTime: 51,
  optionOverload: 52,
  dhcpMessageType: 53,
  serverIdentifier: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClassIdentifier: 60,
  clientIdentifier: 61,
  clientFqdn: 81,
  relayAgentInformation: 82,
  subnetSelection: 118,
  end: 255,
} as const;

/** RFC 2132 §9.6 DHCP message type values. */
export const MSG = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

/**
 * How an option's value is laid out. `array` in the table says it repeats: ipv4 with array is
 * an address list, ipv4-pair is always a list of pairs.
 */
export type OptionKind =
  | "ipv4"
  | "ipv4-pair"
  | "u8"
  | "u16"
  | "u32"
  | "i32"
  | "bool"
  | "string"
  | "hex"
  | "message-type"
  | "classless-routes"
  | "domain-list"
  | "relay-agent";

export interface OptionDef {
  readonly code: number;
  /** IANA/RFC name in kebab-case; config keys may use "_" for "-". */
  readonly name: string;
  readonly kind: OptionKind;
  /** The value is a list of `kind` items. */
  readonly array: boolean;
  /** Smallest legal value length in bytes. */
  readonly minLen: number;
  /** Smallest legal number, where the RFC sets one above the type's range. */
  readonly minValue?: number;
  /** Set: configuration may not set this option; the text says why (shown to the user). */
  readonly serverOwned?: string;
}

const BY_SERVER = "the server fills it in for each reply";
const FROM_CLIENT = "it comes from clients or relay agents; the server only reads or echoes it";
const LEASE_TIME = "it is derived from the lease time";

type Row = readonly [number, string, OptionKind, boolean, number, Partial<OptionDef>?];
// deno-fmt-ignore
const ROWS: readonly Row[] = [
  // RFC 2132 §3: vendor extensions
  [1, "subnet-mask", "ipv4", false, 4],
  [2, "time-offset", "i32", false, 4],
  [3, "routers", "ipv4", true, 4],
  [4, "time-servers", "ipv4", true, 4],
  [5, "name-servers", "ipv4", true, 4],
  [6, "domain-name-servers", "ipv4", true, 4],
  [7, "log-servers", "ipv4", true, 4],
  [8, "cookie-servers", "ipv4", true, 4],
  [9, "lpr-servers", "ipv4", true, 4],
  [10, "impress-servers", "ipv4", true, 4],
  [11, "resource-location-servers", "ipv4", true, 4],
  [12, "host-name", "string", false, 1],
  [13, "boot-file-size", "u16", false, 2],
  [14, "merit-dump-file", "string", false, 1],
  [15, "domain-name", "string", false, 1],
  [16, "swap-server", "ipv4", false, 4],
  [17, "root-path", "string", false, 1],
  [18, "extensions-path", "string", false, 1],
  // RFC 2132 §4: IP layer parameters per host
  [19, "ip-forwarding", "bool", false, 1],
  [20, "non-local-source-routing", "bool", false, 1],
  [21, "policy-filter", "ipv4-pair", true, 8],
  [22, "max-datagram-reassembly-size", "u16", false, 2, { minValue: 576 }],
  [23, "default-ip-ttl", "u8", false, 1, { minValue: 1 }],
  [24, "path-mtu-aging-timeout", "u32", false, 4],
  [25, "path-mtu-plateau-table", "u16", true, 2, { minValue: 68 }],
  // RFC 2132 §5: IP layer parameters per interface
  [26, "interface-mtu", "u16", false, 2, { minValue: 68 }],
  [27, "all-subnets-are-local", "bool", false, 1],
  [28, "broadcast-address", "ipv4", false, 4],
  [29, "perform-mask-discovery", "bool", false, 1],
  [30, "mask-supplier", "bool", false, 1],
  [31, "perform-router-discovery", "bool", false, 1],
  [32, "router-solicitation-address", "ipv4", false, 4],
  [33, "static-routes", "ipv4-pair", true, 8],
  // RFC 2132 §6: link layer parameters per interface
  [34, "trailer-encapsulation", "bool", false, 1],
  [35, "arp-cache-timeout", "u32", false, 4],
  [36, "ethernet-encapsulation", "bool", false, 1],
  // RFC 2132 §7: TCP parameters
  [37, "tcp-default-ttl", "u8", false, 1, { minValue: 1 }],
  [38, "tcp-keepalive-interval", "u32", false, 4],
  [39, "tcp-keepalive-garbage", "bool", false, 1],
  // RFC 2132 §8: application and service parameters
  [40, "nis-domain", "string", false, 1],
  [41, "nis-servers", "ipv4", true, 4],
  [42, "ntp-servers", "ipv4", true, 4],
  [43, "vendor-specific-information", "hex", false, 1],
  [44, "netbios-name-servers", "ipv4", true, 4],
  [45, "netbios-datagram-distribution-servers", "ipv4", true, 4],
  [46, "netbios-node-type", "u8", false, 1],
  [47, "netbios-scope", "string", false, 1],
  [48, "x-window-font-servers", "ipv4", true, 4],
  [49, "x-window-display-managers", "ipv4", true, 4],
  [64, "nisplus-domain", "string", false, 1],
  [65, "nisplus-servers", "ipv4", true, 4],
  [68, "mobile-ip-home-agents", "ipv4", true, 0],
  [69, "smtp-servers", "ipv4", true, 4],
  [70, "pop3-servers", "ipv4", true, 4],
  [71, "nntp-servers", "ipv4", true, 4],
  [72, "www-servers", "ipv4", true, 4],
  [73, "finger-servers", "ipv4", true, 4],
  [74, "irc-servers", "ipv4", true, 4],
  [75, "streettalk-servers", "ipv4", true, 4],
  [76, "streettalk-directory-assistance-servers", "ipv4", true, 4],
  // RFC 2132 §9: DHCP extensions
  [50, "requested-ip-address", "ipv4", false, 4, { serverOwned: FROM_CLIENT }],
  [51, "ip-address-lease-time", "u32", false, 4, { serverOwned: LEASE_TIME }],
  [52, "option-overload", "u8", false, 1, { serverOwned: BY_SERVER }],
  [53, "dhcp-message-type", "message-type", false, 1, { serverOwned: BY_SERVER }],
  [54, "server-identifier", "ipv4", false, 4, { serverOwned: BY_SERVER }],
  [55, "parameter-request-list", "u8", true, 1, { serverOwned: FROM_CLIENT }],
  [56, "message", "string", false, 1],
  [57, "maximum-dhcp-message-size", "u16", false, 2, { serverOwned: FROM_CLIENT }],
  [58, "renewal-time", "u32", false, 4, { serverOwned: LEASE_TIME }],
  [59, "rebinding-time", "u32", false, 4, { serverOwned: LEASE_TIME }],
  [60, "vendor-class-identifier", "string", false, 1],
  [61, "client-identifier", "hex", false, 2, { serverOwned: FROM_CLIENT }],
  [66, "tftp-server-name", "string", false, 1],
  [67, "bootfile-name", "string", false, 1],
  // RFC 4702 client FQDN: flags, two obsolete rcodes, then the name (display as hex)
  [81, "client-fqdn", "hex", false, 3],
  // RFC 3046
  [82, "relay-agent-information", "relay-agent", false, 2, { serverOwned: FROM_CLIENT }],
  // RFC 3011, RFC 3397, RFC 3442, RFC 5859
  [118, "subnet-selection", "ipv4", false, 4],
  [119, "domain-search", "domain-list", true, 1],
  [121, "classless-static-route", "classless-routes", true, 5],
  [150, "tftp-server-address", "ipv4", true, 4],
];

export const OPTION_TABLE: readonly OptionDef[] = ROWS.map((
  [code, name, kind, array, minLen, extra],
) => ({ code, name, kind, array, minLen, ...extra }));

const BY_CODE = new Map(OPTION_TABLE.map((d) => [d.code, d]));
const BY_NAME = new Map(OPTION_TABLE.map((d) => [d.name, d]));

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replaceAll("_", "-");
}

/** Accepts the kebab-case name, its snake_case form, any letter case. */
export function optionByName(name: string): OptionDef | undefined {
  return BY_NAME.get(normalizeName(name));
}

export function optionByCode(code: number): OptionDef | undefined {
  return BY_CODE.get(code);
}

/** "routers" for known codes, "option-NNN" otherwise. */
export function optionName(code: number): string {
  return BY_CODE.get(code)?.name ?? `option-${code}`;
}

export type EncodeValueResult =
  | { readonly ok: true; readonly code: number; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly problem: string; readonly fix: string };

/**
 * Encodes a configuration value (from TOML: string, number, boolean, or arrays of them) for the
 * named option ("domain-name-servers", "routers", ... or "option-NNN" with a hex string).
 */
export function encodeOptionValue(name: string, value: unknown): EncodeValueResult {
  const generic = /^option-(\d{1,3})$/.exec(normalizeName(name));
  const code = generic ? Number(generic[1]) : optionByName(name)?.code;
  if (code === undefined) {
    const near = closestName(normalizeName(name), OPTION_TABLE.map((d) => d.name));
    return {
      ok: false,
      problem: `'${name}' is not a DHCP option name Tandem knows`,
      fix: (near ? `did you mean "${near}"? ` : "") +
        'use a name such as "routers" or "domain-name-servers", or "option-NNN" with a hex ' +
        'value such as "01:02:ab" for any other option code',
    };
  }
  if (code < 1 || code > 254) {
    return {
      ok: false,
      problem: `option code ${code} is not usable`,
      fix: "option codes run from 1 to 254 (0 is Pad and 255 is End)",
    };
  }
  const def = BY_CODE.get(code);
  if (def?.serverOwned !== undefined) {
    return {
      ok: false,
      problem: `option ${code} (${def.name}) is set by the server, not by the configuration: ` +
        def.serverOwned,
      fix: def.serverOwned === LEASE_TIME
        ? "remove it and set the lease time in the lease time settings instead"
        : "remove it from the options",
    };
  }
  const r = generic || def === undefined ? encodeHex(value, 0) : encodeKind(def, value);
  // The config layer reports the key path, so the problem names only the value.
  return r.ok ? { ok: true, code, bytes: r.bytes } : r;
}

function encodeKind(def: OptionDef, value: unknown): ValueResult {
  const min = def.array ? 1 : 0;
  switch (def.kind) {
    case "ipv4":
      return def.array ? encodeList(value, encodeIpv4, min, "address") : encodeIpv4(value);
    case "ipv4-pair": {
      const [a, b] = def.code === 21 ? ["address", "mask"] : ["destination", "router"];
      // A bare pair ["10.0.0.0", "192.0.2.1"] is one entry, not a list of two.
      const barePair = Array.isArray(value) && value.length === 2 &&
        value.every((v) => typeof v === "string" && encodeIpv4(v).ok);
      const list = barePair ? [value] : value;
      return encodeList(list, (v) => encodeIpv4Pair(v, a, b), 1, "pair");
    }
    case "u8":
    case "u16":
    case "u32":
    case "i32": {
      const width = def.kind;
      const one = (v: unknown) => encodeInt(v, width, def.minValue);
      return def.array ? encodeList(value, one, min, "number") : one(value);
    }
    case "bool":
      return encodeBool(value);
    case "string":
      return encodeText(value, def.minLen);
    case "hex":
      return encodeHex(value, def.minLen);
    case "classless-routes":
      return encodeList(value, encodeClasslessRoute, 1, "route");
    case "domain-list":
      return encodeList(value, encodeDomainName, 1, "domain");
    case "message-type":
    case "relay-agent":
      return bad(`${show(value)} cannot be configured`, "remove it from the options");
  }
}

/** RFC 2132 §9.6 message type names, by value. */
export const MSG_NAMES: readonly string[] = [
  "",
  "DISCOVER",
  "OFFER",
  "REQUEST",
  "DECLINE",
  "ACK",
  "NAK",
  "RELEASE",
  "INFORM",
];

/**
 * A display value for logs and lease listings; total: a value that does not fit its kind
 * is shown as hex ("01:02:ab") rather than rejected.
 */
export function decodeOptionValue(code: number, bytes: Uint8Array): DisplayValue {
  const def = BY_CODE.get(code);
  if (def === undefined || bytes.length < def.minLen) return hexDisplay(bytes);
  let v: DisplayValue | undefined;
  switch (def.kind) {
    case "ipv4": {
      const list = ipv4ListDisplay(bytes);
      v = def.array ? list : list?.length === 1 ? list[0] : undefined;
      break;
    }
    case "ipv4-pair": {
      const list = bytes.length % 8 === 0 ? ipv4ListDisplay(bytes) : undefined;
      v = list && list.map((a, i) => i % 2 === 0 ? `${a} ${list[i + 1]}` : "").filter((s) => s);
      break;
    }
    case "u8":
    case "u16":
    case "u32":
    case "i32": {
      const size = def.kind === "u8" ? 1 : def.kind === "u16" ? 2 : 4;
      if (!def.array) v = intDisplay(bytes, def.kind);
      else if (bytes.length % size === 0) {
        const out: number[] = [];
        for (let i = 0; i < bytes.length; i += size) {
          out.push(intDisplay(bytes.subarray(i, i + size), def.kind) ?? 0);
        }
        v = out;
      }
      break;
    }
    case "bool":
      v = bytes.length === 1 && bytes[0]! <= 1 ? bytes[0] === 1 : undefined;
      break;
    case "string":
      v = textDisplay(bytes);
      break;
    case "message-type":
      v = bytes.length === 1 ? MSG_NAMES[bytes[0] ?? 0] || bytes[0] : undefined;
      break;
    case "classless-routes":
      v = classlessRoutesDisplay(bytes);
      break;
    case "domain-list":
      v = domainListDisplay(bytes);
      break;
    case "relay-agent": {
      const r = parseRelayAgentInformation(bytes);
      v = r.ok ? relayAgentDisplay(r.info) : undefined;
      break;
    }
    case "hex":
      break;
  }
  return v ?? hexDisplay(bytes);
}

// ------------------------------------------------ typed readers for the core (total)

export function getU8(bag: OptionBag, code: number): number | undefined {
  const b = bag.get(code);
  return b?.length === 1 ? b[0] : undefined;
}

export function getU16(bag: OptionBag, code: number): number | undefined {
  const b = bag.get(code);
  return b?.length === 2 ? readU16(b, 0) : undefined;
}

export function getU32(bag: OptionBag, code: number): number | undefined {
  const b = bag.get(code);
  return b?.length === 4 ? readU32(b, 0) : undefined;
}

/** Exactly 4 bytes, else undefined (a malformed 50 or 54 is treated as absent). */
export function getIpv4(bag: OptionBag, code: number): Ipv4 | undefined {
  const b = bag.get(code);
  return b?.length === 4 ? ipv4FromBytes(b) : undefined;
}

/** Option 53, when present and one byte long. */
export function getMessageType(bag: OptionBag): number | undefined {
  return getU8(bag, OPT.dhcpMessageType);
}

/** Option 55 as codes in the client's order, duplicates and Pad/End removed. */
export function getParameterRequestList(bag: OptionBag): readonly number[] {
  const b = bag.get(OPT.parameterRequestList);
  if (!b) return [];
  const out: number[] = [];
  for (const c of b) if (c !== 0 && c !== 255 && !out.includes(c)) out.push(c);
  return out;
}

/** RFC 2132 §9.10: option 57 when legal (>= 576), else undefined. */
export function getMaxMessageSize(bag: OptionBag): number | undefined {
  const v = getU16(bag, OPT.maxMessageSize);
  return v !== undefined && v >= 576 ? v : undefined;
}

export function getText(bag: OptionBag, code: number): string | undefined {
  const b = bag.get(code);
  return b === undefined ? undefined : textDisplay(b);
}

export function u32Bytes(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}
