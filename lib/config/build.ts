/**
 * Turns a schema-valid, semantically clean document into the typed Config: camelCase names,
 * branded addresses, defaults filled in, option tables encoded per level. It runs only after
 * semantic.ts found no errors, so a value it cannot parse is a bug and throws.
 */
import { type Cidr, type Ipv4, ipv4, parseCidr, parseIpv4 } from "../wire/ipv4.ts";
import type {
  AddressRange,
  Config,
  FailoverConfig,
  LeaseTimes,
  PoolConfig,
  ReservationConfig,
  SubnetConfig,
} from "./config.ts";
import { encodeOptionTable } from "./options.ts";
import {
  mergeLeaseTimes,
  type RawConfig,
  type RawFailover,
  type RawLeaseTimes,
  type RawPool,
  type RawReservation,
  type RawSubnet,
} from "./schema.ts";
import { parseAddressOrRange, parseHexOctets, parseHostPort, parseRange } from "./value_text.ts";

export function buildConfig(raw: RawConfig): Config {
  const listen = parseHostPort(raw.http.listen);
  if (!listen.ok) throw new Error(`buildConfig: unchecked http.listen ${raw.http.listen}`);
  const leaseTimes = toLeaseTimes(raw.lease);
  const config: Config = {
    role: raw.role,
    serverId: mustIp(raw.server_id),
    dhcp: {
      address: raw.dhcp.listen_address,
      port: raw.dhcp.port,
      clientPort: raw.dhcp.client_port,
      ...(raw.dhcp.broadcast_address === undefined
        ? {}
        : { broadcastAddress: raw.dhcp.broadcast_address }),
      ...(raw.dhcp.interface === undefined ? {} : { interface: raw.dhcp.interface }),
    },
    authoritative: raw.authoritative,
    offerHoldSec: raw.offer_hold_sec,
    declineProbationSec: raw.decline_probation_sec,
    leaseTimes,
    options: encodeOptions(raw.options, "options"),
    subnets: raw.subnet.map((s, i) => toSubnet(s, i, raw.lease)),
    http: {
      address: listen.value.address,
      port: listen.value.port,
      ...(raw.http.admin_token === undefined ? {} : { adminToken: raw.http.admin_token }),
    },
    stateDir: raw.store.state_dir,
    logLevel: raw.log.level,
  };
  return raw.failover === undefined || raw.role === "standalone"
    ? config
    : { ...config, failover: toFailover(raw.failover) };
}

function toLeaseTimes(l: RawLeaseTimes): LeaseTimes {
  return {
    defaultSec: l.default_sec,
    minSec: l.min_sec,
    maxSec: l.max_sec,
    t1Ratio: l.t1_ratio,
    t2Ratio: l.t2_ratio,
  };
}

function toSubnet(s: RawSubnet, index: number, globalLease: RawLeaseTimes): SubnetConfig {
  const at = `subnet[${index}]`;
  return {
    id: s.id ?? index + 1,
    cidr: mustCidr(s.cidr),
    direct: s.direct,
    pools: s.pool.map((p, j) => toPool(p, `${at}.pool[${j}]`)),
    reservations: s.reservation.map((r, k) => toReservation(r, `${at}.reservation[${k}]`)),
    options: encodeOptions(s.options, `${at}.options`),
    leaseTimes: toLeaseTimes(mergeLeaseTimes(globalLease, s.lease)),
  };
}

function toPool(p: RawPool, at: string): PoolConfig {
  const texts = p.range !== undefined ? [p.range] : p.ranges ?? [];
  const ranges = texts.map((t) => mustRange(parseRange(t), t));
  const exclude: Ipv4[] = [];
  for (const t of p.exclude) {
    const r = mustRange(parseAddressOrRange(t), t);
    for (let a = r.start; a <= r.end; a++) exclude.push(ipv4(a));
  }
  return { ranges, exclude, options: encodeOptions(p.options, `${at}.options`) };
}

function toReservation(r: RawReservation, at: string): ReservationConfig {
  const identity = r.hw_address !== undefined
    ? { hwAddress: mustHex(r.hw_address) }
    : { clientId: mustHex(r.client_id ?? "") };
  return {
    ...identity,
    ip: mustIp(r.ip),
    ...(r.hostname === undefined ? {} : { hostname: r.hostname }),
    options: encodeOptions(r.options, `${at}.options`),
  };
}

function toFailover(f: RawFailover): FailoverConfig {
  return {
    relationshipName: f.relationship,
    myAddress: f.my_address,
    myPort: f.my_port,
    partnerAddress: f.partner_address,
    partnerPort: f.partner_port,
    mode: f.mode,
    mcltSec: f.mclt_sec,
    split: f.split,
    reservePercent: f.reserve_percent,
    loadBalanceMaxSecs: f.load_balance_max_secs,
    contactIntervalMs: f.contact_interval_ms,
    receiveTimerMs: f.receive_timer_ms,
    autoPartnerDownSec: f.auto_partner_down_sec,
    maxUnackedBndupd: f.max_unacked_bndupd,
    authentication: f.authentication,
    sharedSecret: f.shared_secret ?? "",
    maxClockSkewSec: f.max_clock_skew_sec,
    ...(f.tls === undefined
      ? {}
      : { tls: { certFile: f.tls.cert, keyFile: f.tls.key, caFile: f.tls.ca } }),
  };
}

function encodeOptions(table: Readonly<Record<string, unknown>>, path: string) {
  const { bag, issues } = encodeOptionTable(table, path);
  if (issues.length > 0) throw new Error(`buildConfig: unchecked option at ${path}`);
  return bag;
}

function mustIp(text: string): Ipv4 {
  const ip = parseIpv4(text);
  if (ip === undefined) throw new Error(`buildConfig: unchecked address ${text}`);
  return ip;
}

function mustCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (c === undefined) throw new Error(`buildConfig: unchecked cidr ${text}`);
  return c;
}

function mustHex(text: string): Uint8Array {
  const b = parseHexOctets(text);
  if (b === undefined) throw new Error(`buildConfig: unchecked hex octets ${text}`);
  return b;
}

function mustRange(r: ReturnType<typeof parseRange>, text: string): AddressRange {
  if (!r.ok) throw new Error(`buildConfig: unchecked range ${text}`);
  return r.value;
}
