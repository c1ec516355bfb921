/**
 * A fingerprint of the configuration both peers must share (subnets, pools, exclusions,
 * reservations, options, lease times, and the failover settings that decide address ownership
 * and hashing), so they can compare on CONNECT/STATE. Order-insensitive where order carries no
 * meaning; excludes everything per-server: role, addresses, ports, secrets, timers, the
 * directly attached flag, subnet ids (derived from position).
 */
import { toHex } from "../wire/bytes.ts";
import type { Config, LeaseTimes, PoolConfig, ReservationConfig } from "../config/config.ts";
import type { OptionBag } from "../wire/dhcp_options.ts";
import { formatCidr, formatIpv4 } from "../wire/ipv4.ts";

type Canon = string | number | boolean | null | Canon[] | { [k: string]: Canon };

/** Canonical text: object keys sorted; arrays as given (sort them first when unordered). */
function canon(v: Canon): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${
      Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k]!)}`).join(",")
    }}`;
  }
  return JSON.stringify(v);
}

const sorted = (xs: Canon[]): Canon[] =>
  xs.map((x) => [canon(x), x] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map((
    p,
  ) => p[1]);

const options = (bag: OptionBag): Canon =>
  sorted([...bag].map(([code, val]) => [code, toHex(val)]));

const times = (t: LeaseTimes): Canon => ({
  defaultSec: t.defaultSec,
  minSec: t.minSec,
  maxSec: t.maxSec,
  t1Ratio: t.t1Ratio,
  t2Ratio: t.t2Ratio,
});

// Range order within a pool is kept: defaultOwnerOf (serving.ts) counts addresses in it.
const pool = (p: PoolConfig): Canon => ({
  ranges: p.ranges.map((r) => [formatIpv4(r.start), formatIpv4(r.end)]),
  exclude: sorted(p.exclude.map(formatIpv4)),
  options: options(p.options),
});

const reservation = (r: ReservationConfig): Canon => ({
  ip: formatIpv4(r.ip),
  hw: r.hwAddress === undefined ? null : toHex(r.hwAddress),
  clientId: r.clientId === undefined ? null : toHex(r.clientId),
  hostname: r.hostname ?? null,
  options: options(r.options),
});

/** The canonical text the fingerprint hashes (exported for diagnostics: diff two peers). */
export function fingerprintText(cfg: Config): string {
  const fo = cfg.failover;
  return canon({
    leaseTimes: times(cfg.leaseTimes),
    options: options(cfg.options),
    failover: fo === undefined
      ? null
      : { mode: fo.mode, split: fo.split, reservePercent: fo.reservePercent },
    subnets: sorted(cfg.subnets.map((s) => ({
      cidr: formatCidr(s.cidr),
      pools: sorted(s.pools.map(pool)),
      reservations: sorted(s.reservations.map(reservation)),
      options: options(s.options),
      leaseTimes: times(s.leaseTimes),
    }))),
  });
}

/** SHA-256 hex of fingerprintText; hashHex is lib/platform/hmac_native.ts sha256Hex. */
export function configFingerprint(cfg: Config, hashHex: (text: string) => string): string {
  return hashHex(fingerprintText(cfg));
}
