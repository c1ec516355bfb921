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
}

/** Moves the subnet's scan cursor as a decision says; the runtime calls it after handle(). */
export function advancePoolCursor(cursors: Map<number, number>, d: Decision): void {
  if (d.kind === "reply" && d.poolCursor !== undefined) {
    cursors.set(d.poolCursor.subnetId, d.poolCursor.offset);
  }
}
