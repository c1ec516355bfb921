/**
 * The periodic sweep the runtime runs: bindings past their end become "expired" (RFC 2131
 * §4.4.5: the client must stop using the address when the lease expires), and abandoned
 * addresses past their probation (§4.3.3) return to the pool. Allocation already treats both
 * correctly before the sweep; the sweep makes the stored state (and /status) say so.
 */
import type { LeaseOp } from "../lease/ops.ts";
import type { LeaseView } from "../lease/store.ts";

/** At most limit ops; run again to continue. */
export function reclaimExpired(leases: LeaseView, nowSec: number, limit: number): LeaseOp[] {
  const ops: LeaseOp[] = [];
  if (limit <= 0) return ops;
  for (const l of leases.dueForReclaim(nowSec, limit)) {
    if (l.state === "active" && l.endSec <= nowSec) {
      // Keeps the client's identity: the same client gets the address back while it is free.
      ops.push({ kind: "put", lease: { ...l, state: "expired", startSec: l.endSec } });
    } else if (l.state === "abandoned" && l.endSec <= nowSec) {
      // Probation over: the record goes, the address is back in its pool's default state.
      ops.push({ kind: "delete", ip: l.ip });
    } else {
      continue;
    }
    if (ops.length >= limit) break;
  }
  return ops;
}
