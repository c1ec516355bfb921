/**
 * servingScope(): the failover state turned into what the DHCP core may do (ServingScope,
 * lib/dhcp/scope.ts). The core never sees failover states (ARCHITECTURE.md, seams).
 */
import type { FailoverConfig, PoolConfig, SubnetConfig } from "../config/config.ts";
import type { ServingScope } from "../dhcp/scope.ts";
import type { BindingState, Lease } from "../lease/lease.ts";
import type { Ipv4 } from "../wire/ipv4.ts";
import { bucketOf, type HashKeyMode, hbaFromSplit, hbaHasBucket } from "./hash.ts";
import { capLeaseEndSec, partnerDownReuseSec, partnerPoolUsableSec } from "./mclt.ts";
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

/**
 * THE ownership rule, from config alone, used on both boxes alike: by the DHCP core for
 * unrecorded addresses (ServingScope.defaultState), and by binding sync for an address whose
 * EXPIRED/RELEASED/RESET update was acknowledged ("Comm w/ Partner", §5.11): FREE when it is
 * the primary's, BACKUP when it is in the secondary's share. So any acknowledged address has
 * the same state, and so the same owner, on both boxes.
 */
export function ownerStateOf(
  ip: Ipv4,
  subnetId: number,
  subnets: readonly SubnetConfig[],
  cfg: FailoverConfig,
): "free" | "backup" {
  const pools = subnets.find((s) => s.id === subnetId)?.pools ?? [];
  return defaultOwnerOf(ip, pools, secondaryShareOf(cfg)) === "secondary" ? "backup" : "free";
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
  // ISC dhcpd knows an address as the secondary's only from a BNDUPD saying BACKUP, so with it
  // nothing is BACKUP by default: every unrecorded address is the primary's, on both boxes
  // (issue #11; else a Tandem secondary could take an address dhcpd thinks its own FREE).
  return cfg.partner === "isc-dhcpd" ? 0 : backupTargetOf(cfg);
}

/** What the secondary should hold, percent of each pool's available addresses (§5.4). */
export function backupTargetOf(cfg: FailoverConfig): number {
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

const AVAILABLE: readonly BindingState[] = [
  "free",
  "backup",
  "expired",
  "released",
  "reset",
];

/** The states that give addresses to new clients (answers() below). */
const ALLOCATING: ReadonlySet<string> = new Set([
  "normal",
  "communications-interrupted",
  "partner-down",
  "resolution-interrupted",
  "conflict-done",
]);

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
  const hba = opts.primaryHba ??
    (cfg.mode === "hot-standby" ? hbaFromSplit(256) : hbaFromSplit(cfg.split));
  const mode = opts.hashKeyMode ?? "isc";
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
      return ownerStateOf(ip, subnetId, subnets, cfg);
    },

    mayAllocate(bstate, lease: Lease | undefined, now) {
      if (!AVAILABLE.includes(bstate)) return false;
      // Only the states that allocate to new clients (see answers()).
      if (!ALLOCATING.has(state)) return false;
      const partnerDownReady = state === "partner-down" && now >= pdMclt;
      switch (bstate) {
        // §5.4, §9.9.2: FREE is the primary's, BACKUP the secondary's; the partner's only in
        // PARTNER-DOWN after MCLT from entry (§9.4.2).
        case "free":
          return role === "primary" || partnerDownReady;
        case "backup":
          return role === "secondary" || partnerDownReady;
        // EXPIRED / RELEASED / RESET, or ACTIVE past its end (allocate.ts): §5.2.2, the address
        // goes to nobody until the partner acked the change, which makes it FREE or BACKUP on
        // both boxes (ownerStateOf); in PARTNER-DOWN, MCLT past every time the partner may
        // know of (mclt.ts partnerDownReuseSec).
        default: {
          if (lease === undefined) return false;
          if (state === "partner-down") {
            return now >= partnerDownReuseSec(lease, snap.partnerDownSec ?? now, snap.mcltSec);
          }
          return false;
        }
      }
    },

    capLeaseEnd(existing, desiredEndSec, now) {
      return capLeaseEndSec(state, existing, desiredEndSec, now ?? nowSec, snap.mcltSec);
    },
  };
}
