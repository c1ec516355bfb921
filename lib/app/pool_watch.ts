/**
 * Pool low-water warnings: every expiry sweep (10 s) each subnet's available share is checked
 * (the /status figures, status.ts): below `pool_low_percent` (default 10) a `pool.low` warning,
 * at none left
 * `pool.exhausted`, and `pool.recovered` once it is back above. One line per crossing, not per
 * check; tandem_pool_low{subnet} is 1 while low, for alerting.
 */
import type { Config } from "../config/config.ts";
import type { EventLog } from "../event_log.ts";
import type { LeaseView } from "../lease/store.ts";
import { subnetStatus } from "./status.ts";

type Level = "ok" | "low" | "exhausted";

export class PoolWatch {
  readonly #level = new Map<number, Level>();

  /** config is replaced by a reload; a subnet's level survives while its id does. */
  constructor(public config: Config, readonly log: EventLog) {}

  /** Whether subnet id is below the low-water mark now (for the gauge). */
  low(id: number): boolean {
    return (this.#level.get(id) ?? "ok") !== "ok";
  }

  check(leases: LeaseView): void {
    for (const s of subnetStatus(this.config, leases)) {
      if (s.pool_size === 0) continue;
      const available = s.free + s.backup;
      const level: Level = available === 0
        ? "exhausted"
        : available * 100 < s.pool_size * this.config.poolLowPercent
        ? "low"
        : "ok";
      const before = this.#level.get(s.id) ?? "ok";
      if (level === before) continue;
      this.#level.set(s.id, level);
      const props = {
        subnet: s.id,
        size: s.pool_size,
        active: s.active,
        available,
        fix: "widen the pool or shorten lease times; check for a starvation attack",
      };
      if (level === "ok") this.log.info("pool.recovered", { subnet: s.id, available });
      else this.log.warn(level === "low" ? "pool.low" : "pool.exhausted", props);
    }
  }
}
