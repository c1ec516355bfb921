/**
 * Lease store benchmark: apply() throughput by batch size on a real file (WAL +
 * synchronous=FULL, so each batch pays one fsync: the group-commit effect of reliability.md
 * §4.6), then the time and memory to hydrate 100,000 leases. Prints plain numbers.
 *
 *   scripts/deno run --allow-all scripts/bench_store.ts
 */
import { emptyLease, type Lease } from "../lib/lease/lease.ts";
import type { LeaseOp } from "../lib/lease/ops.ts";
import { SqliteLeaseStore } from "../lib/platform/sqlite_store.ts";
import { type Ipv4, ipv4 } from "../lib/wire/ipv4.ts";

const BASE = 0x0a000000; // 10.0.0.0
const HYDRATE_COUNT = 100_000;
const SECONDS_PER_SIZE = 1.5;

function sampleLease(i: number, nowSec: number): Lease {
  const ip: Ipv4 = ipv4(BASE + i);
  const mac = (0x001122000000 + i).toString(16).padStart(12, "0");
  return {
    ...emptyLease(ip, 1 + (i >>> 16), "active", nowSec),
    clientKey: `01${mac}`,
    hwType: 1,
    hwAddr: mac,
    hostname: `host-${i}`,
    vendorClass: "MSFT 5.0",
    relayInfo: "010400000001020600112233aabb",
    endSec: nowSec + 3600,
    clttSec: nowSec,
    potentialEndSec: nowSec + 7200,
    ackedPotentialEndSec: nowSec + 3600,
  };
}

function benchBatches(dir: string): void {
  console.log(`apply() throughput, WAL + synchronous=FULL, file in ${dir}`);
  console.log("batch  txn/s     puts/s    mean ms/txn");
  for (const batch of [1, 16, 64, 256]) {
    const store = SqliteLeaseStore.open(`${dir}/batch-${batch}.db`);
    const nowSec = Math.floor(Date.now() / 1000);
    let txns = 0;
    let n = 0;
    const start = performance.now();
    const deadline = start + SECONDS_PER_SIZE * 1000;
    while (performance.now() < deadline) {
      const ops: LeaseOp[] = [];
      // Cycle over 65,536 addresses so the table grows, then updates in place.
      for (let k = 0; k < batch; k++) {
        ops.push({ kind: "put", lease: sampleLease(n++ & 0xffff, nowSec) });
      }
      store.apply(ops);
      txns++;
    }
    const sec = (performance.now() - start) / 1000;
    store.close();
    console.log(
      `${String(batch).padStart(5)}  ${(txns / sec).toFixed(0).padStart(8)}  ` +
        `${(n / sec).toFixed(0).padStart(8)}  ${((sec * 1000) / txns).toFixed(3).padStart(10)}`,
    );
  }
}

/** Child process: open a prepared file and report hydrate time and RSS, with a clean heap. */
function hydrateChild(path: string): void {
  const rssBefore = Deno.memoryUsage().rss;
  const start = performance.now();
  const store = SqliteLeaseStore.open(path);
  const openMs = performance.now() - start;
  const t1 = performance.now();
  let count = 0;
  for (const _ of store.all()) count++;
  const allMs = performance.now() - t1;
  const mem = Deno.memoryUsage();
  console.log(JSON.stringify({
    leases: store.size(),
    iterated: count,
    openMs,
    allMs,
    quickCheck: store.quickCheck,
    rssBefore,
    rssAfter: mem.rss,
    heapUsed: mem.heapUsed,
  }));
  store.close();
}

async function benchHydrate(dir: string): Promise<void> {
  const path = `${dir}/hydrate.db`;
  const writer = SqliteLeaseStore.open(path);
  const nowSec = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  for (let i = 0; i < HYDRATE_COUNT; i += 10_000) {
    const ops: LeaseOp[] = [];
    for (let k = i; k < Math.min(i + 10_000, HYDRATE_COUNT); k++) {
      ops.push({ kind: "put", lease: sampleLease(k, nowSec) });
    }
    writer.apply(ops);
  }
  const writeMs = performance.now() - t0;
  writer.close(); // checkpoints the WAL into the main file
  const sizeMiB = Deno.statSync(path).size / 2 ** 20;
  console.log(
    `\nwrote ${HYDRATE_COUNT} leases in 10,000-put batches: ${writeMs.toFixed(0)} ms; ` +
      `file ${sizeMiB.toFixed(1)} MiB`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(import.meta.url).pathname, "--hydrate", path],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("hydrate child failed");
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `hydrate ${r.leases} leases (open incl. migrations check + quick_check): ` +
      `${r.openMs.toFixed(0)} ms; iterate all(): ${r.allMs.toFixed(1)} ms`,
  );
  console.log(
    `RSS: ${mib(r.rssBefore)} before open, ${mib(r.rssAfter)} after hydrate ` +
      `(+${mib(r.rssAfter - r.rssBefore)}); JS heap used ${mib(r.heapUsed)}`,
  );
}

if (Deno.args[0] === "--hydrate" && Deno.args[1] !== undefined) {
  hydrateChild(Deno.args[1]);
} else {
  const dir = await Deno.makeTempDir({ prefix: "tandem-bench-store-" });
  try {
    benchBatches(dir);
    await benchHydrate(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
