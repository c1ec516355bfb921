/**
 * The /status document and the readiness verdict, computed from config and leases. Pure.
 */
import type { Config, PoolConfig, SubnetConfig } from "../config/config.ts";
import type { LeaseView } from "../lease/store.ts";
import { formatCidr } from "../wire/ipv4.ts";
import { VERSION } from "../version.ts";

/** Addresses a pool can hand out: its ranges minus exclusions (ranges never overlap). */
export function poolSize(pool: PoolConfig): number {
  let n = 0;
  for (const r of pool.ranges) n += r.end - r.start + 1;
  const excluded = new Set(
    pool.exclude.filter((ip) => pool.ranges.some((r) => ip >= r.start && ip <= r.end)),
  );
  return n - excluded.size;
}

export function subnetPoolSize(s: SubnetConfig): number {
  return s.pools.reduce((n, p) => n + poolSize(p), 0);
}

export interface SubnetStatus {
  readonly id: number;
  readonly cidr: string;
  readonly pool_size: number;
  readonly active: number;
  readonly free: number;
  readonly abandoned: number;
  readonly expired: number;
  readonly released: number;
  readonly backup: number;
}

export function subnetStatus(config: Config, leases: LeaseView): SubnetStatus[] {
  return config.subnets.map((s) => {
    const c = leases.countByState(s.id);
    const size = subnetPoolSize(s);
    return {
      id: s.id,
      cidr: formatCidr(s.cidr),
      pool_size: size,
      active: c.active,
      // Expired and released addresses are reusable: they count as free for capacity.
      free: Math.max(0, size - c.active - c.abandoned - c.backup - c.reset),
      abandoned: c.abandoned,
      expired: c.expired,
      released: c.released,
      backup: c.backup,
    };
  });
}

export function statusDocument(
  config: Config,
  leases: LeaseView,
  uptimeSec: number,
  failover?: unknown,
): Record<string, unknown> {
  return {
    role: config.role,
    version: VERSION,
    uptime_sec: uptimeSec,
    subnets: subnetStatus(config, leases),
    ...(failover === undefined ? {} : { failover }),
  };
}
