/**
 * Builds validated Config objects directly for tests (the TOML parser is tested on its own).
 * Every builder takes overrides; defaults describe a small, typical deployment:
 *   subnet 1  10.0.0.0/24  direct,  pool 10.0.0.100-10.0.0.199
 *   subnet 2  10.1.0.0/24  relayed (relay 10.1.0.1), pool 10.1.0.10-10.1.0.20
 */
import type {
  AddressRange,
  Config,
  LeaseTimes,
  PoolConfig,
  ReservationConfig,
  SubnetConfig,
} from "../../lib/config/config.ts";
import type { OptionBag } from "../../lib/wire/dhcp_options.ts";
import { type Ipv4, parseCidr, parseIpv4 } from "../../lib/wire/ipv4.ts";

/** Dotted quad -> Ipv4; throws on a typo in a test. */
export function ip(text: string): Ipv4 {
  const a = parseIpv4(text);
  if (a === undefined) throw new Error(`bad address in test: ${text}`);
  return a;
}

/** "aa:bb:cc:dd:ee:ff" or "aabbcc..." -> bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.replaceAll(":", "").replaceAll(" ", "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Option bag from code -> bytes (or a list of dotted quads for address options). */
export function options(entries: Record<number, Uint8Array | readonly string[]>): OptionBag {
  const bag = new Map<number, Uint8Array>();
  for (const [code, v] of Object.entries(entries)) {
    if (v instanceof Uint8Array) {
      bag.set(Number(code), v);
      continue;
    }
    const bytes = new Uint8Array(4 * v.length);
    v.forEach((a, i) => {
      const n = ip(a);
      bytes.set([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255], 4 * i);
    });
    bag.set(Number(code), bytes);
  }
  return bag;
}

export function leaseTimes(over: Partial<LeaseTimes> = {}): LeaseTimes {
  return { defaultSec: 3600, minSec: 600, maxSec: 86400, t1Ratio: 0.5, t2Ratio: 0.875, ...over };
}

export function range(start: string, end: string): AddressRange {
  return { start: ip(start), end: ip(end) };
}

export function pool(
  start: string,
  end: string,
  over: { exclude?: readonly string[]; options?: OptionBag } = {},
): PoolConfig {
  return {
    ranges: [range(start, end)],
    exclude: (over.exclude ?? []).map(ip),
    options: over.options ?? new Map(),
  };
}

export function reservation(
  address: string,
  by: { mac?: string; clientId?: string; hostname?: string; options?: OptionBag },
): ReservationConfig {
  return {
    ip: ip(address),
    ...(by.mac === undefined ? {} : { hwAddress: hex(by.mac) }),
    ...(by.clientId === undefined ? {} : { clientId: hex(by.clientId) }),
    ...(by.hostname === undefined ? {} : { hostname: by.hostname }),
    options: by.options ?? new Map(),
  };
}

export function subnet(
  id: number,
  cidr: string,
  over: Partial<Omit<SubnetConfig, "id" | "cidr">> = {},
): SubnetConfig {
  const c = parseCidr(cidr);
  if (c === undefined) throw new Error(`bad cidr in test: ${cidr}`);
  return {
    id,
    cidr: c,
    direct: false,
    pools: [],
    reservations: [],
    options: new Map(),
    leaseTimes: leaseTimes(),
    ...over,
  };
}

export const SERVER_ID = "10.0.0.1";

export function defaultSubnets(): SubnetConfig[] {
  return [
    subnet(1, "10.0.0.0/24", {
      direct: true,
      pools: [pool("10.0.0.100", "10.0.0.199")],
      options: options({ 3: ["10.0.0.1"], 6: ["10.0.0.53", "10.0.0.54"] }),
    }),
    subnet(2, "10.1.0.0/24", {
      pools: [pool("10.1.0.10", "10.1.0.20")],
      options: options({ 3: ["10.1.0.1"] }),
    }),
  ];
}

export function makeConfig(over: Partial<Config> = {}): Config {
  return {
    role: "standalone",
    serverId: ip(SERVER_ID),
    dhcp: {
      address: "0.0.0.0",
      port: 67,
      clientPort: 68,
      broadcastAddress: "255.255.255.255",
    },
    authoritative: true,
    offerHoldSec: 30,
    declineProbationSec: 3600,
    leaseTimes: leaseTimes(),
    options: options({ 15: new TextEncoder().encode("example.test") }),
    subnets: defaultSubnets(),
    http: { address: "127.0.0.1", port: 8067 },
    stateDir: "/nonexistent",
    commitWindowMs: 0,
    poolLowPercent: 10,
    historyDays: 0,
    logLevel: "info",
    ...over,
  };
}
