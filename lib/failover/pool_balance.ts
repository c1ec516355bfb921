/**
 * Pool balancing for POOLREQ/POOLRESP (draft-12 §5.4, §7.7), pure.
 *
 * Ownership of an available address starts from the config alone (serving.ts defaultOwnerOf:
 * every (100/share)-th address of a pool is the secondary's BACKUP reserve). It drifts when
 * clients keep addresses from the secondary's reserve: after a PARTNER-DOWN period the primary
 * may have leased them out, or the secondary itself served many new clients while the link was
 * down. Then the secondary has fewer addresses than its share to serve new clients with the
 * next time it is alone. On POOLREQ the primary (only it, §7.7) gives some of its FREE
 * addresses to the secondary by recording them as BACKUP and sending the BNDUPDs; POOLRESP
 * carries the count.
 *
 * Only FREE -> BACKUP, as the draft has it: moving BACKUP back to FREE would race with the
 * secondary allocating that very address (its BNDUPD may be on the wire), which is how an
 * address could end up bound twice.
 */
import type { FailoverConfig, SubnetConfig } from "../config/config.ts";
import { emptyLease, type Lease } from "../lease/lease.ts";
import type { LeaseView } from "../lease/store.ts";
import type { Ipv4 } from "../wire/ipv4.ts";
import { backupTargetOf, defaultOwnerOf, secondaryShareOf } from "./serving.ts";

export interface PoolBalance {
  readonly subnetId: number;
  /** Available addresses the primary may give out (FREE, recorded or by default). */
  readonly primaryAvailable: number;
  /** Available addresses the secondary may give out (BACKUP, recorded or by default). */
  readonly secondaryAvailable: number;
  /** What the secondary should hold: its share of all available addresses of the pool. */
  readonly target: number;
}

export interface RebalancePlan {
  readonly pools: readonly PoolBalance[];
  /** FREE addresses to record as BACKUP (state "backup", pendingUpdate: a BNDUPD goes out). */
  readonly moves: readonly Lease[];
}

/**
 * Counts each pool's available addresses per owner and plans the FREE -> BACKUP moves that
 * bring the secondary up to its share. A pool within `slack` addresses of its target (default:
 * 1% of its available addresses, at least 1) is left alone, so a balanced pair does not trade
 * addresses back and forth. Cost: one pass over every pool address (seconds apart, on POOLREQ).
 */
export function planPoolBalance(
  subnets: readonly SubnetConfig[],
  fo: FailoverConfig,
  leases: Pick<LeaseView, "stateOf" | "hold">,
  nowSec: number,
  maxMoves = 10_000,
): RebalancePlan {
  const share = secondaryShareOf(fo);
  const targetShare = backupTargetOf(fo);
  const pools: PoolBalance[] = [];
  const moves: Lease[] = [];
  for (const subnet of subnets) {
    for (const pool of subnet.pools) {
      const excluded = new Set<number>(pool.exclude);
      let primaryAvailable = 0;
      let secondaryAvailable = 0;
      const candidates: Ipv4[] = [];
      for (const range of pool.ranges) {
        for (let n = range.start; n <= range.end; n++) {
          if (excluded.has(n)) continue;
          const ip = n as Ipv4;
          // An address on offer is about to be leased: neither side's to count or move.
          if (leases.hold(ip) !== undefined) continue;
          // The state only, not the record: this runs over every pool address on the packet
          // thread, and building a Lease per address would allocate one object per record.
          const state = leases.stateOf(ip);
          const owner = state === undefined
            ? defaultOwnerOf(ip, subnet.pools, share)
            : state === "free"
            ? "primary"
            : state === "backup"
            ? "secondary"
            : undefined; // leased, or on its way back (expired, released, ...): not counted
          if (owner === "secondary") secondaryAvailable++;
          else if (owner === "primary") {
            primaryAvailable++;
            candidates.push(ip);
          }
        }
      }
      const total = primaryAvailable + secondaryAvailable;
      const target = Math.floor((total * targetShare) / 100);
      pools.push({ subnetId: subnet.id, primaryAvailable, secondaryAvailable, target });
      const slack = Math.max(1, Math.floor(total / 100));
      const want = Math.min(target - secondaryAvailable, maxMoves - moves.length);
      if (target - secondaryAvailable < slack || want <= 0) continue;
      // Spread the moved addresses through the pool, as the default reserve is (serving.ts).
      const step = candidates.length / want;
      for (let i = 0; i < want; i++) {
        const ip = candidates[Math.floor(i * step)] as Ipv4;
        moves.push({ ...emptyLease(ip, subnet.id, "backup", nowSec), pendingUpdate: true });
      }
    }
  }
  return { pools, moves };
}
