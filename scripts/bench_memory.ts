/**
 * Memory of the lease store with 100,000 leases: writes realistic leases to a temp SQLite file
 * through SqliteLeaseStore.apply, closes it, then opens it in a FRESH Deno process (so the
 * writer's heap does not count) and prints RSS and heap after open, after get() on every
 * address, and get()/byClient() latency. Prints numbers; asserts nothing.
 *
 *   scripts/deno run --allow-all scripts/bench_memory.ts [--count N] [--keep] [--db FILE]
 *     [--idle SEC] [--child-v8-flags=--max-semi-space-size=1,...]
 *
 * --db reuses a file written by an earlier run (--keep prints its path); --idle adds a reading
 * after the measured process has sat idle that long; --child-v8-flags passes
 * V8 flags to the measured process (to see what heap sizing flags would do for the server).
 *
 * The child runs with only --allow-read --allow-write --allow-env --allow-sys, as the server's
 * store would. "RSS" is VmRSS; "peak" is the child's VmHWM (high-water mark) read by the parent
 * from /proc/<pid>/status just before the child exits: hydration garbage costs peak, and the V8
 * heap does not give pages back quickly.
 */
import { emptyLease, type Lease } from "../lib/lease/lease.ts";
import type { LeaseOp } from "../lib/lease/ops.ts";
import { SqliteLeaseStore } from "../lib/platform/sqlite_store.ts";
import { type Ipv4, ipv4 } from "../lib/wire/ipv4.ts";

const BASE = 0x0a000000; // 10.0.0.0: leases spread over /22 subnets of 1,000 leases each
const BATCH = 5_000;
const GET_CALLS = 1_000_000;

function macOf(i: number): string {
  // Distinct MACs over a few vendor OUIs.
  const oui = [0x001122, 0x3c22fb, 0xa4c361, 0xf01898][i & 3] as number;
  return oui.toString(16).padStart(6, "0") + ((i * 2654435761) >>> 8 & 0xffffff)
    .toString(16).padStart(6, "0");
}

/** A lease as the DHCP core writes it (binding.ts): hex fields without separators. */
function realisticLease(i: number, nowSec: number): Lease {
  const ip: Ipv4 = ipv4(BASE + i);
  const mac = macOf(i);
  const startSec = nowSec - (i * 7919) % 43_200;
  const leaseSec = i % 5 === 0 ? 86_400 : 43_200;
  const failover = i % 2 === 0;
  return {
    ...emptyLease(ip, 1 + Math.floor(i / 1000), "active", startSec),
    clientKey: `hw:01:${mac}`,
    hwType: 1,
    hwAddr: mac,
    clientId: "",
    hostname: i % 10 < 6 ? `host-${i.toString(36)}-${mac.slice(6)}` : "",
    vendorClass: i % 10 < 3 ? "MSFT 5.0" : i % 10 < 5 ? "android-dhcp-13" : "",
    // Option 82: circuit-id per switch port (48 ports), remote-id per switch.
    relayInfo: `0106${(0x00010000 + (i % 48)).toString(16).padStart(8, "0")}0206` +
      `0011aa${(Math.floor(i / 48) & 0xffffff).toString(16).padStart(6, "0")}`,
    startSec,
    endSec: startSec + leaseSec,
    clttSec: startSec + (i % 3 === 0 ? leaseSec / 2 : 0),
    ackedPotentialEndSec: failover ? startSec + leaseSec + 3600 : 0,
    potentialEndSec: failover ? startSec + leaseSec + 3600 : 0,
    pendingUpdate: i % 97 === 0,
  };
}

/**
 * VmRSS from /proc/self/status; Deno asks for --allow-all to read /proc/self, so with the
 * child's narrower permissions this is the same number from Deno.memoryUsage().
 */
function vmRss(): number {
  try {
    const text = Deno.readTextFileSync("/proc/self/status");
    return Number(/^VmRSS:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return Deno.memoryUsage().rss;
  }
}

function snapshot(label: string): Record<string, number | string> {
  const m = Deno.memoryUsage();
  return {
    label,
    rss: vmRss(),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
  };
}

/** Child: open the file, measure. Prints one JSON line. */
async function child(path: string, count: number, idleSec: number): Promise<void> {
  const rows: Record<string, number | string>[] = [snapshot("before open")];
  const t0 = performance.now();
  const store = SqliteLeaseStore.open(path);
  const openMs = performance.now() - t0;
  rows.push(snapshot("after open"));

  let found = 0;
  let sink = 0;
  for (let i = 0; i < count; i++) {
    const l = store.get(ipv4(BASE + i));
    if (l !== undefined) {
      found++;
      sink += l.endSec & 1;
    }
  }
  rows.push(snapshot("after get() of every address"));

  // get() latency over pseudo-random addresses (a multiplicative walk, no array of targets).
  const getStart = performance.now();
  for (let k = 0; k < GET_CALLS; k++) {
    const l = store.get(ipv4(BASE + (k * 40503) % count));
    if (l !== undefined) sink += l.state.length;
  }
  const getNs = ((performance.now() - getStart) * 1e6) / GET_CALLS;

  const bcCalls = 200_000;
  const keys: string[] = [];
  for (let i = 0; i < 1024; i++) keys.push(`hw:01:${macOf((i * 97) % count)}`);
  const bcStart = performance.now();
  for (let k = 0; k < bcCalls; k++) sink += store.byClient(keys[k & 1023] as string).length;
  const byClientNs = ((performance.now() - bcStart) * 1e6) / bcCalls;

  const missStart = performance.now();
  for (let k = 0; k < GET_CALLS; k++) {
    if (store.get(ipv4(0x0b000000 + k)) !== undefined) sink++;
  }
  const missNs = ((performance.now() - missStart) * 1e6) / GET_CALLS;

  const allStart = performance.now();
  let iterated = 0;
  for (const _ of store.all()) iterated++;
  const allMs = performance.now() - allStart;
  rows.push(snapshot("after latency runs"));

  if (idleSec > 0) {
    // An idle server: V8's memory reducer may shrink the heap after a few quiet seconds.
    await new Promise((resolve) => setTimeout(resolve, idleSec * 1000));
    rows.push(snapshot(`after ${idleSec} s idle`));
  }

  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
    rows.push(snapshot("after forced full GC"));
  }

  console.log(JSON.stringify({
    leases: store.size(),
    found,
    iterated,
    sink,
    openMs,
    getNs,
    missNs,
    byClientNs,
    allMs,
    quickCheck: store.quickCheck,
    rows,
  }));
  store.close();
  // Wait for the parent to read our VmHWM (it closes stdin).
  const buf = new Uint8Array(1);
  while ((Deno.stdin.readSync(buf) ?? null) !== null);
}

async function parent(count: number, keep: boolean, db: string | undefined): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-bench-memory-" });
  const path = db ?? `${dir}/leases.db`;
  try {
    if (db === undefined) write(path, count);
    else console.log(`reusing ${path}`);

    const deno = new URL("./deno", import.meta.url).pathname;
    const proc = new Deno.Command(deno, {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        `--v8-flags=--expose-gc${childV8Flags === undefined ? "" : `,${childV8Flags}`}`,
        new URL(import.meta.url).pathname,
        "--child",
        path,
        "--count",
        String(count),
        "--idle",
        String(idleSec),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    // The child prints its report, then waits on stdin so that this process (which may read
    // /proc/<pid>) can take its high-water mark VmHWM before it exits.
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes("\n")) break;
    }
    const status = Deno.readTextFileSync(`/proc/${proc.pid}/status`);
    const peak = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024;
    await proc.stdin.close();
    if (!(await proc.status).success) throw new Error("bench_memory child failed");
    const r = JSON.parse(text.slice(0, text.indexOf("\n")));
    const mib = (b: number) => (b / 2 ** 20).toFixed(1).padStart(7);
    console.log(
      `fresh process: open ${r.openMs.toFixed(0)} ms, ${r.leases} leases ` +
        `(quick_check: ${r.quickCheck}); get() found ${r.found}/${count}`,
    );
    console.log("MiB                            RSS  heapUsed heapTotal external");
    for (const row of r.rows) {
      console.log(
        `${String(row.label).padEnd(29)} ${mib(row.rss)}   ${mib(row.heapUsed)}` +
          `   ${mib(row.heapTotal)}  ${mib(row.external)}`,
      );
    }
    console.log(`peak RSS (VmHWM) of the child: ${mib(peak)} MiB`);
    const before = r.rows[0].rss;
    const after = r.rows[2].rss;
    console.log(`store cost (RSS after get() of all - before open): ${mib(after - before)} MiB`);
    console.log(
      `get() hit ${r.getNs.toFixed(0)} ns/call, miss ${r.missNs.toFixed(0)} ns/call ` +
        `(${GET_CALLS} calls); byClient() ${r.byClientNs.toFixed(0)} ns/call; ` +
        `all() ${r.allMs.toFixed(0)} ms`,
    );
  } finally {
    if (!keep) await Deno.remove(dir, { recursive: true });
  }
}

function write(path: string, count: number): void {
  const writer = SqliteLeaseStore.open(path);
  const nowSec = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const ops: LeaseOp[] = [];
    for (let k = i; k < Math.min(i + BATCH, count); k++) {
      ops.push({ kind: "put", lease: realisticLease(k, nowSec) });
    }
    writer.apply(ops);
  }
  const writeMs = performance.now() - t0;
  writer.close(); // checkpoints the WAL into the main file
  const fileMiB = Deno.statSync(path).size / 2 ** 20;
  console.log(
    `wrote ${count} leases in ${BATCH}-put batches: ${writeMs.toFixed(0)} ms; ` +
      `file ${fileMiB.toFixed(1)} MiB (${path})`,
  );
}

function argValue(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const count = Number(argValue("--count") ?? 100_000);
const childPath = argValue("--child");
const childV8Flags = Deno.args.find((a) => a.startsWith("--child-v8-flags="))
  ?.slice("--child-v8-flags=".length);
const idleSec = Number(argValue("--idle") ?? 0);
if (childPath !== undefined) await child(childPath, count, idleSec);
else await parent(count, Deno.args.includes("--keep"), argValue("--db"));
