/**
 * The checks semantic.ts and semantic_subnets.ts share: the Reporter they write findings to,
 * addresses, lease times and option tables. Each check returns the value it parsed, so the
 * typed Config is built in the same pass (a value is parsed once).
 */
import { type Ipv4, parseIpv4 } from "../wire/ipv4.ts";
import { encodeOptionTable } from "./options.ts";
import type { LeaseTimes } from "./config.ts";
import type { OptionBag } from "../wire/dhcp_options.ts";

export interface Reporter {
  /** `linePath` points the line at another key, e.g. a missing table at the key that needs it. */
  error(path: string, problem: string, fix: string, linePath?: string): void;
  warn(path: string, problem: string, fix: string, linePath?: string): void;
}

/** Checks an IPv4 address value; returns it when valid. */
export function checkAddress(
  text: string,
  path: string,
  report: Reporter,
  what: string,
): Ipv4 | undefined {
  const ip = parseIpv4(text);
  if (ip === undefined) {
    report.error(path, `"${text}" is not an IPv4 address`, `write ${what} as a dotted quad`);
  }
  return ip;
}

/** Checks and encodes an option table; the bag is complete only when nothing was reported. */
export function checkOptions(
  table: Readonly<Record<string, unknown>>,
  path: string,
  report: Reporter,
): OptionBag {
  const { bag, issues } = encodeOptionTable(table, path);
  for (const i of issues) report.error(i.path, i.problem, i.fix);
  return bag;
}

export interface LeaseTimesInput {
  readonly default_sec: number;
  readonly min_sec: number;
  readonly max_sec: number;
  readonly t1_ratio: number;
  readonly t2_ratio: number;
}

/** RFC 2131 §4.4.5: T1 < T2 < lease; min <= default <= max keeps the clamp well defined. */
export function checkLeaseTimes(
  lease: LeaseTimesInput,
  path: string,
  report: Reporter,
): void {
  if (lease.min_sec > lease.default_sec || lease.default_sec > lease.max_sec) {
    report.error(
      `${path}.default_sec`,
      `lease times must satisfy min_sec <= default_sec <= max_sec, but they are ${lease.min_sec}, ${lease.default_sec} and ${lease.max_sec}`,
      "raise max_sec or lower min_sec so default_sec lies between them",
    );
  }
  if (!(lease.t1_ratio > 0 && lease.t1_ratio < lease.t2_ratio && lease.t2_ratio < 1)) {
    report.error(
      `${path}.t1_ratio`,
      `renewal ratios must satisfy 0 < t1_ratio < t2_ratio < 1, but they are ${lease.t1_ratio} and ${lease.t2_ratio}`,
      "use the RFC 2131 §4.4.5 values t1_ratio = 0.5 and t2_ratio = 0.875",
    );
  }
}

/** The typed form of a [lease] table. */
export function toLeaseTimes(l: LeaseTimesInput): LeaseTimes {
  return {
    defaultSec: l.default_sec,
    minSec: l.min_sec,
    maxSec: l.max_sec,
    t1Ratio: l.t1_ratio,
    t2Ratio: l.t2_ratio,
  };
}

export function leaseTimesValid(lease: LeaseTimesInput): boolean {
  return lease.min_sec <= lease.default_sec && lease.default_sec <= lease.max_sec &&
    lease.t1_ratio > 0 && lease.t1_ratio < lease.t2_ratio && lease.t2_ratio < 1;
}
