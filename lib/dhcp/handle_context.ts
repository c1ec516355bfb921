/** What handle() gets besides the packet (ARCHITECTURE.md, seams). */
import type { Config } from "../config/config.ts";
import type { LeaseView } from "../lease/store.ts";
import type { Decision } from "./decision.ts";
import type { ServingScope } from "./scope.ts";

export interface HandleContext {
  readonly config: Config;
  readonly leases: LeaseView;
  readonly nowSec: number;
  readonly scope: ServingScope;
  /**
   * Subnet id -> pool offset where the next new-address scan starts (allocate.ts, next fit).
   * The runtime keeps it with advancePoolCursor(); absent means the start of each pool.
   */
  readonly poolCursor?: ReadonlyMap<number, number>;
  /**
   * Subnet id -> second until which its pools are known to have nothing to give (a whole scan
   * found nothing). A new-address scan of such a subnet is skipped: a full pool costs one scan
   * of every address per second, not one per DISCOVER (a starvation flood would otherwise make
   * each packet O(pool) and stall the server).
   */
  readonly poolFullUntil?: ReadonlyMap<number, number>;
}

/**
 * Moves the subnet's scan cursor as a decision says, and notes a pool found full until the next
 * second; the runtime calls it after handle().
 */
export function advancePoolCursor(
  cursors: Map<number, number>,
  d: Decision,
  nowSec = 0,
  fullUntil?: Map<number, number>,
): void {
  if (d.kind === "reply" && d.poolCursor !== undefined) {
    cursors.set(d.poolCursor.subnetId, d.poolCursor.offset);
    fullUntil?.delete(d.poolCursor.subnetId);
  }
  if (d.kind === "drop" && d.poolFull !== undefined) fullUntil?.set(d.poolFull, nowSec + 1);
}
