/**
 * servingScope(): the failover state turned into what the DHCP core may do (ServingScope,
 * lib/dhcp/scope.ts). The core never sees failover states (ARCHITECTURE.md, seams).
 */
import type { FailoverConfig, PoolConfig, SubnetConfig } from "../config/config.ts";
import type { ServingScope } from "../dhcp/scope.ts";
import type { BindingState, Lease } from "../lease/lease.ts";
import type { Ipv4 } from "../wire/ipv4.ts";
import { bucketOf, type HashKeyMode, hbaFromSplit, hbaHasBucket } from "./hash.ts";
import { capLeaseEndSec, mayReallocateSec, partnerPoolUsableSec } from "./mclt.ts";
import type { FailoverRole, FailoverSnapshot } from "./snapshot.ts";

/**
 * Which server owns an unrecorded available address by default (§5.4): the primary (FREE)
 * except reservePercent percent of each pool's addresses, spread evenly through it (in range
 * order, excluded addresses not counted), which are the secondary's (BACKUP). Deterministic from the config
 * alone, so both peers agree without a POOLREQ exchange (the config fingerprint checks that
 * they have the same config). Addresses in no pool: "primary".
 */
export function defaultOwnerOf(
  ip: Ipv4,
  pools: readonly PoolConfig[],
  reservePercent: number,
): FailoverRole {
  for (const pool of pools) {
    let total = 0;
    let index = -1;
    for (const r of pool.ranges) {
      if (ip >= r.start && ip <= r.end) index = total + (ip - r.start);
      total += Math.max(0, r.end - r.start + 1);
    }
    if (index < 0) continue;
    for (const x of pool.exclude) {
      if (pool.ranges.some((r) => x >= r.start && x <= r.end)) {
        total--;
        if (x === ip) return "primary";
        if (rankBefore(pool, x, ip)) index--;
      }
    }
    // Every (100/share)-th address, evenly spread (exactly floor(total * share / 100) of
    // them): an allocation scan starting anywhere finds one of its own within a few steps,
    // where a contiguous block would make the other side walk the whole block.
    const share = Math.max(0, Math.min(100, reservePercent));
    const step = Math.floor(((index + 1) * share) / 100) - Math.floor((index * share) / 100);
    return step === 1 ? "secondary" : "primary";
  }
  return "primary";
}

/** Whether address a comes before b in the pool's range order. */
function rankBefore(pool: PoolConfig, a: Ipv4, b: Ipv4): boolean {
  const pos = (x: Ipv4) => pool.ranges.findIndex((r) => x >= r.start && x <= r.end);
  const pa = pos(a), pb = pos(b);
  return pa < pb || (pa === pb && a < b);
}

/**
 * The secondary's share of each pool, percent. Hot-standby: reserve_percent (its reserve for
 * new clients while the primary is away). Load-balancing: the share of hash buckets it serves
 * (RFC 3074 split), so each server has addresses for the clients it answers.
 */
export function secondaryShareOf(cfg: FailoverConfig): number {
  return cfg.mode === "load-balancing" ? ((256 - cfg.split) * 100) / 256 : cfg.reservePercent;
}

export interface ServingOptions {
  /** RFC 3074 key truncation; must match the partner (isc-notes §3.5). Default "isc". */
  readonly hashKeyMode?: HashKeyMode;
  /**
   * The primary's buckets (set = primary serves, ISC meaning). Default: all buckets in
   * hot-standby, hbaFromSplit(cfg.split) in load-balancing. A secondary should pass the HBA
   * received in CONNECT (hash.ts hbaFromWire) once it has one.
   */
  readonly primaryHba?: Uint8Array;
}

const AVAILABLE: readonly BindingState[] = ["free", "backup", "expired", "released", "reset"];

/**
 * Builds the scope for one instant (nowSec) of one snapshot. Rebuild it whenever the snapshot
 * changes; it holds no state of its own.
 */
export function servingScope(
  snap: FailoverSnapshot,
  cfg: FailoverConfig,
  subnets: readonly SubnetConfig[],
  nowSec: number,
  opts: ServingOptions = {},
): ServingScope {
  const role = snap.role;
  const state = snap.state;
  const share = secondaryShareOf(cfg);
  const hba = opts.primaryHba ??
    (cfg.mode === "hot-standby" ? hbaFromSplit(256) : hbaFromSplit(cfg.split));
  const mode = opts.hashKeyMode ?? "isc";
  const poolsOf = (subnetId: number) => subnets.find((s) => s.id === subnetId)?.pools ?? [];
  const pdMclt = snap.partnerDownSec === null
    ? Infinity
    : partnerPoolUsableSec(snap.partnerDownSec, snap.mcltSec);

  return {
    answers(hashKey, secs, kind) {
      switch (state) {
        case "normal": {
          // §9.8.2: every RENEWING/REBINDING request; others by the RFC 3074 hash.
          if (kind === "renew") return true;
          // isc-notes §3.5: load balance max seconds; 0 turns load balancing off (ISC).
          if (cfg.loadBalanceMaxSecs === 0 || secs > cfg.loadBalanceMaxSecs) return true;
          const primaryServes = hbaHasBucket(hba, bucketOf(hashKey, mode));
          return role === "primary" ? primaryServes : !primaryServes;
        }
        // §9.9.2, §9.4.2, §9.11.2, §9.12.2: responsive to all, no load balancing.
        case "communications-interrupted":
        case "partner-down":
        case "resolution-interrupted":
        case "conflict-done":
          return true;
        // §9.7.1: RENEWAL and REBINDING only.
        case "recover-done":
          return kind === "renew";
        // §9.3.1 STARTUP, §9.5.1 RECOVER, §9.6.1 RECOVER-WAIT, §9.10.2 POTENTIAL-CONFLICT,
        // §9.13 PAUSED and §9.14.2 SHUTDOWN: unresponsive.
        default:
          return false;
      }
    },

    defaultState(ip, subnetId) {
      return defaultOwnerOf(ip, poolsOf(subnetId), share) === "secondary" ? "backup" : "free";
    },

    mayAllocate(bstate, lease: Lease | undefined, now) {
      if (!AVAILABLE.includes(bstate)) return false;
      // Only the states that allocate to new clients (see answers()).
      if (
        ![
          "normal",
          "communications-interrupted",
          "partner-down",
          "resolution-interrupted",
          "conflict-done",
        ].includes(state)
      ) return false;
      const partnerDownReady = state === "partner-down" && now >= pdMclt;
      switch (bstate) {
        // §5.4, §9.9.2: FREE is the primary's, BACKUP the secondary's; the partner's only in
        // PARTNER-DOWN after MCLT from entry (§9.4.2).
        case "free":
          return role === "primary" || partnerDownReady;
        case "backup":
          return role === "secondary" || partnerDownReady;
        // §5.4: an address that becomes available again belongs to the primary; §5.2.2: only
        // once the partner acked the EXPIRED/RELEASED update, or in PARTNER-DOWN after the wait.
        default: {
          // Tandem: ownership is fixed by config (defaultOwnerOf), so an address that becomes
          // available again returns to its owner's pool instead of drifting to the primary
          // and needing POOLREQ rebalancing (§5.4, §7.6).
          if (lease === undefined) return role === "primary" || state === "partner-down";
          const owner = defaultOwnerOf(lease.ip, poolsOf(lease.subnetId), share);
          if (owner !== role && state !== "partner-down") return false;
          return mayReallocateSec(state, lease, now, snap.mcltSec, snap.partnerDownSec);
        }
      }
    },

    capLeaseEnd(existing, desiredEndSec, now) {
      return capLeaseEndSec(state, existing, desiredEndSec, now ?? nowSec, snap.mcltSec);
    },
  };
}
