/**
 * Semantic checks for [[subnet]], [[subnet.pool]] and [[subnet.reservation]]: networks,
 * ranges, overlaps, exclusions and reservation identities. Each check returns what it parsed,
 * so the typed SubnetConfig comes out of the same pass.
 *
 * A reservation's address MAY lie inside a pool: that address is then never offered to any
 * other client (the allocator skips reserved addresses), so no finding is reported for it.
 */
import type { AddressRange, PoolConfig, ReservationConfig, SubnetConfig } from "./config.ts";
import {
  broadcastOf,
  type Cidr,
  cidrContains,
  formatCidr,
  formatIpv4,
  type Ipv4,
  ipv4,
  maskOf,
  parseCidr,
  parseIpv4,
} from "../wire/ipv4.ts";
import {
  mergeLeaseTimes,
  type RawConfig,
  type RawPool,
  type RawReservation,
  type RawSubnet,
} from "./schema.ts";
import {
  checkAddress,
  checkLeaseTimes,
  checkOptions,
  leaseTimesValid,
  type Reporter,
  toLeaseTimes,
} from "./semantic_values.ts";
import {
  isHostname,
  parseAddressOrRange,
  parseHexOctets,
  parseRange,
  rangeContains,
  rangeSize,
} from "./value_text.ts";

/** Upper bound on the addresses one exclusion may expand to (PoolConfig.exclude lists them). */
export const MAX_EXCLUDED_ADDRESSES = 65536;

interface PlacedRange {
  readonly range: AddressRange;
  readonly path: string;
}

/** Checks every subnet; returns them typed (complete only when nothing was reported). */
export function checkSubnets(
  raw: RawConfig,
  serverId: Ipv4 | undefined,
  report: Reporter,
): SubnetConfig[] {
  if (raw.subnet.length === 0) {
    report.warn(
      "subnet",
      "no [[subnet]] is configured, so no client can be given an address",
      "add a [[subnet]] with a cidr and a [[subnet.pool]]",
    );
  }
  const cidrs: (Cidr | undefined)[] = [];
  const ids = new Map<number, number>();
  const reservedIps = new Map<Ipv4, string>();
  const allRanges: PlacedRange[] = [];
  let directAt: number | undefined;

  const subnets = raw.subnet.map((s, i): SubnetConfig => {
    const at = `subnet[${i}]`;
    const cidr = checkCidr(s.cidr, `${at}.cidr`, report);
    cidrs.push(cidr);
    cidrs.forEach((other, j) => {
      if (j < i && cidr !== undefined && other !== undefined && cidrsOverlap(cidr, other)) {
        report.error(
          `${at}.cidr`,
          `${formatCidr(cidr)} overlaps subnet[${j}] (${formatCidr(other)})`,
          "each [[subnet]] must be a distinct network; correct or remove one of them",
        );
      }
    });
    const id = s.id ?? i + 1;
    const sameId = ids.get(id);
    if (sameId !== undefined) {
      report.error(
        `${at}.id`,
        `subnet id ${id} is already used by subnet[${sameId}]`,
        "give each [[subnet]] a distinct id (one without id gets its position, counting from 1)",
      );
    } else ids.set(id, i);
    if (s.direct) {
      if (directAt !== undefined) {
        report.error(
          `${at}.direct`,
          `subnet[${directAt}] is already the directly attached subnet`,
          "Tandem serves one directly attached segment; reach the others through a relay (giaddr)",
        );
      } else directAt = i;
    }
    const leaseTimes = mergeLeaseTimes(raw.lease, s.lease);
    if (s.lease !== undefined && leaseTimesValid(raw.lease)) {
      checkLeaseTimes(leaseTimes, `${at}.lease`, report);
    }
    const options = checkOptions(s.options, `${at}.options`, report);
    const pools = s.pool.map((p, j) => {
      const { placed, pool } = checkPool(p, `${at}.pool[${j}]`, cidr, serverId, report);
      allRanges.push(...placed);
      return pool;
    });
    const reservations = checkReservations(s, at, cidr, serverId, reservedIps, report);
    return {
      id,
      cidr: cidr ?? { network: ipv4(0), prefixLen: 0 },
      direct: s.direct,
      pools,
      reservations,
      options,
      leaseTimes: toLeaseTimes(leaseTimes),
    };
  });
  checkPoolOverlaps(allRanges, report);
  return subnets;
}

function checkCidr(text: string, path: string, report: Reporter): Cidr | undefined {
  const cidr = parseCidr(text);
  if (cidr !== undefined) return cidr;
  const [addr, len] = text.trim().split("/");
  const ip = parseIpv4(addr ?? "");
  const prefixLen = Number(len);
  if (ip !== undefined && /^\d{1,2}$/.test(len ?? "") && prefixLen <= 32) {
    const network = parseCidr(`${formatIpv4(ipv4(ip & maskOf(prefixLen)))}/${len}`);
    const suggestion = network === undefined ? "" : ` (${formatCidr(network)})`;
    report.error(
      path,
      `${text} has host bits set`,
      `write the network address${suggestion} rather than a host address`,
    );
  } else {
    report.error(
      path,
      `"${text}" is not a CIDR network`,
      'write network/prefix, e.g. "192.0.2.0/24"',
    );
  }
  return undefined;
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

/** Network and broadcast addresses are not host addresses, except in /31 and /32 (RFC 3021). */
function checkHostAddress(ip: Ipv4, cidr: Cidr): string | undefined {
  if (cidr.prefixLen >= 31) return undefined;
  if (ip === cidr.network) return `the network address of ${formatCidr(cidr)}`;
  if (ip === broadcastOf(cidr)) return `the broadcast address of ${formatCidr(cidr)}`;
  return undefined;
}

function showRange(r: AddressRange): string {
  return `${formatIpv4(r.start)}-${formatIpv4(r.end)}`;
}

function checkPool(
  p: RawPool,
  at: string,
  cidr: Cidr | undefined,
  serverId: Ipv4 | undefined,
  report: Reporter,
): { placed: PlacedRange[]; pool: PoolConfig } {
  const texts: [string, string][] = [];
  if (p.range !== undefined && p.ranges !== undefined) {
    report.error(
      `${at}.ranges`,
      "both range and ranges are given",
      "use range for one span or ranges for several, not both",
    );
  } else if (p.range !== undefined) texts.push([`${at}.range`, p.range]);
  else if (p.ranges !== undefined) {
    p.ranges.forEach((t, k) => texts.push([`${at}.ranges[${k}]`, t]));
  }
  if (texts.length === 0 && (p.range === undefined || p.ranges === undefined)) {
    report.error(at, "the pool has no addresses", 'add range = "first-last" to the pool');
  }
  const placed: PlacedRange[] = [];
  for (const [path, text] of texts) {
    const parsed = parseRange(text);
    if (!parsed.ok) {
      report.error(path, parsed.problem, parsed.fix);
      continue;
    }
    const r = parsed.value;
    const shown = showRange(r);
    if (r.start > r.end) {
      report.error(path, `pool ${shown} ends before it starts`, "write the lower address first");
      continue;
    }
    if (cidr !== undefined) {
      if (!cidrContains(cidr, r.start) || !cidrContains(cidr, r.end)) {
        report.error(
          path,
          `pool ${shown} is not inside its subnet ${formatCidr(cidr)}`,
          `use addresses from ${formatCidr(cidr)}, or put the pool under the subnet it belongs to`,
        );
        continue;
      }
      for (const edge of [cidr.network, broadcastOf(cidr)]) {
        const what = rangeContains(r, edge) ? checkHostAddress(edge, cidr) : undefined;
        if (what !== undefined) {
          report.error(path, `pool ${shown} includes ${what}`, "start and end the pool inside it");
        }
      }
    }
    if (serverId !== undefined && rangeContains(r, serverId)) {
      report.error(
        path,
        `pool ${shown} includes server_id ${formatIpv4(serverId)}`,
        "leave the server's own address out of the pool, or exclude it",
      );
    }
    placed.push({ range: r, path });
  }
  const exclude = checkExclusions(p.exclude, at, placed, report);
  const options = checkOptions(p.options, `${at}.options`, report);
  return { placed, pool: { ranges: placed.map((x) => x.range), exclude, options } };
}

function checkExclusions(
  exclude: readonly string[],
  at: string,
  placed: readonly PlacedRange[],
  report: Reporter,
): Ipv4[] {
  const out: Ipv4[] = [];
  exclude.forEach((text, k) => {
    const path = `${at}.exclude[${k}]`;
    const parsed = parseAddressOrRange(text);
    if (!parsed.ok) return report.error(path, parsed.problem, parsed.fix);
    const r = parsed.value;
    if (r.start > r.end) {
      return report.error(path, `exclusion ${text} ends before it starts`, "write the lower first");
    }
    if (rangeSize(r) > MAX_EXCLUDED_ADDRESSES) {
      return report.error(
        path,
        `exclusion ${text} covers ${rangeSize(r)} addresses`,
        `exclude at most ${MAX_EXCLUDED_ADDRESSES} addresses at once, or shrink the pool's range`,
      );
    }
    const inside = placed.some((p) => p.range.start <= r.start && r.end <= p.range.end);
    if (placed.length > 0 && !inside) {
      report.error(
        path,
        `exclusion ${text} is outside the pool (${
          placed.map((p) => showRange(p.range)).join(", ")
        })`,
        "exclude only addresses the pool contains, or remove the exclusion",
      );
    }
    for (let a = r.start; a <= r.end; a++) out.push(ipv4(a));
  });
  return out;
}

function checkReservations(
  s: RawSubnet,
  at: string,
  cidr: Cidr | undefined,
  serverId: Ipv4 | undefined,
  reservedIps: Map<Ipv4, string>,
  report: Reporter,
): ReservationConfig[] {
  const identities = new Map<string, string>();
  return s.reservation.map((r, k): ReservationConfig => {
    const path = `${at}.reservation[${k}]`;
    const ip = checkAddress(r.ip, `${path}.ip`, report, "the reserved address");
    if (ip !== undefined) checkReservedIp(ip, `${path}.ip`, cidr, serverId, reservedIps, report);
    const identity = checkIdentity(r, path, report);
    if (identity !== undefined) {
      const earlier = identities.get(identity.key);
      if (earlier !== undefined) {
        report.error(
          identity.path,
          `${identity.label} already has a reservation in this subnet (${earlier})`,
          "keep one reservation per client per subnet",
        );
      } else identities.set(identity.key, path);
    }
    if (r.hostname !== undefined && !isHostname(r.hostname)) {
      report.error(
        `${path}.hostname`,
        `"${r.hostname}" is not a valid host name`,
        "use letters, digits and hyphens, with dots between labels (RFC 1123 §2.1)",
      );
    }
    const options = checkOptions(r.options, `${path}.options`, report);
    const bytes = identity?.bytes ?? new Uint8Array(0);
    return {
      ...(r.hw_address !== undefined ? { hwAddress: bytes } : { clientId: bytes }),
      ip: ip ?? ipv4(0),
      ...(r.hostname === undefined ? {} : { hostname: r.hostname }),
      options,
    };
  });
}

function checkReservedIp(
  ip: Ipv4,
  path: string,
  cidr: Cidr | undefined,
  serverId: Ipv4 | undefined,
  reservedIps: Map<Ipv4, string>,
  report: Reporter,
): void {
  const shown = formatIpv4(ip);
  if (cidr !== undefined && !cidrContains(cidr, ip)) {
    report.error(
      path,
      `reserved address ${shown} is not inside its subnet ${formatCidr(cidr)}`,
      "move the reservation under the [[subnet]] that contains its address",
    );
  } else if (cidr !== undefined) {
    const what = checkHostAddress(ip, cidr);
    if (what !== undefined) {
      report.error(path, `reserved address ${shown} is ${what}`, "reserve a host address");
    }
  }
  if (ip === serverId) {
    report.error(path, `reserved address ${shown} is server_id`, "reserve a different address");
  }
  const earlier = reservedIps.get(ip);
  if (earlier !== undefined) {
    report.error(
      path,
      `${shown} is already reserved by ${earlier}`,
      "an address can be reserved for one client only; remove or change one reservation",
    );
  } else reservedIps.set(ip, path.replace(/\.ip$/, ""));
}

/** Exactly one of hw_address and client_id (RFC 2131 §4.2 identifies a client by either). */
function checkIdentity(
  r: RawReservation,
  path: string,
  report: Reporter,
): { key: string; label: string; path: string; bytes: Uint8Array } | undefined {
  if (r.hw_address === undefined && r.client_id === undefined) {
    report.error(
      path,
      "the reservation names no client",
      'add hw_address = "52:54:00:12:34:56" or client_id = "01:52:54:00:12:34:56"',
    );
    return undefined;
  }
  if (r.hw_address !== undefined && r.client_id !== undefined) {
    report.error(
      path,
      "the reservation has both hw_address and client_id",
      "keep one: a client that sends option 61 is identified by its client_id only (RFC 2131 §4.2)",
    );
    return undefined;
  }
  if (r.hw_address !== undefined) {
    const bytes = parseHexOctets(r.hw_address);
    if (bytes === undefined || bytes.length < 1 || bytes.length > 16) {
      report.error(
        `${path}.hw_address`,
        `"${r.hw_address}" is not a hardware address`,
        'write it as hex octets, e.g. "52:54:00:12:34:56" (at most 16 octets, the chaddr size)',
      );
      return undefined;
    }
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
    return { key: `hw ${hex}`, label: `hw_address ${hex}`, path: `${path}.hw_address`, bytes };
  }
  const text = r.client_id ?? "";
  const bytes = parseHexOctets(text);
  if (bytes === undefined || bytes.length < 2) {
    report.error(
      `${path}.client_id`,
      `"${text}" is not a client identifier`,
      'write option 61 as hex octets, type byte first, e.g. "01:52:54:00:12:34:56" (at least 2 octets, RFC 2132 §9.14)',
    );
    return undefined;
  }
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
  return { key: `id ${hex}`, label: `client_id ${hex}`, path: `${path}.client_id`, bytes };
}

/** An address belongs to at most one pool, across all subnets. */
function checkPoolOverlaps(ranges: readonly PlacedRange[], report: Reporter): void {
  const sorted = [...ranges].sort((a, b) => a.range.start - b.range.start);
  let widest: PlacedRange | undefined;
  for (const r of sorted) {
    if (widest !== undefined && r.range.start <= widest.range.end) {
      report.error(
        r.path,
        `pool ${showRange(r.range)} overlaps ${widest.path.replace(/\.ranges?(\[\d+\])?$/, "")} (${
          showRange(widest.range)
        })`,
        "make the pools disjoint; an address may belong to one pool only",
      );
    }
    if (widest === undefined || r.range.end > widest.range.end) widest = r;
  }
}
