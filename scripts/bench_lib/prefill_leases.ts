/**
 * Writes N active leases into a Tandem state dir through the real SqliteLeaseStore, so the
 * bench can measure Tandem's RSS with a large store without a long DORA run.
 *
 *   deno run --allow-read --allow-write scripts/bench_lib/prefill_leases.ts STATE_DIR N \
 *     FIRST_IP SUBNET_ID
 */
import { SqliteLeaseStore } from "../../lib/platform/sqlite_store.ts";
import { emptyLease, type Lease } from "../../lib/lease/lease.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";
import { ipv4, parseIpv4 } from "../../lib/wire/ipv4.ts";

const [stateDir, countText = "100000", firstText = "10.20.1.0", subnetText = "1"] = Deno.args;
if (!stateDir) throw new Error("usage: prefill_leases.ts STATE_DIR [N] [FIRST_IP] [SUBNET_ID]");
const first = parseIpv4(firstText);
if (first === undefined) throw new Error(`bad FIRST_IP ${firstText}`);
const count = Number(countText), subnetId = Number(subnetText);
await Deno.mkdir(stateDir, { recursive: true });
const store = SqliteLeaseStore.open(`${stateDir}/leases.db`);
const now = Math.floor(Date.now() / 1000);
const BATCH = 5000;
for (let start = 0; start < count; start += BATCH) {
  const ops: LeaseOp[] = [];
  for (let i = start; i < Math.min(count, start + BATCH); i++) {
    const hw = `02bb${i.toString(16).padStart(8, "0")}`;
    const lease: Lease = {
      ...emptyLease(ipv4(first + i), subnetId, "active", now),
      clientKey: `hw:01:${hw}`,
      hwType: 1,
      hwAddr: hw,
      hostname: `bench-${i}`,
      endSec: now + 86400,
      clttSec: now,
    };
    ops.push({ kind: "put", lease });
  }
  store.apply(ops);
}
console.log(`prefilled ${store.size()} leases into ${stateDir}/leases.db`);
store.close();
