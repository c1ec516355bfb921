/**
 * Lease history (issue #12 item 6): every stored change is recorded in the same transaction,
 * survives a restart, is pruned by age, and `tandem leases --history ADDRESS|MAC --at TIME`
 * (the real CLI entry point) answers who held an address at a moment.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { readHistoryFile, SqliteLeaseStore } from "../lib/platform/sqlite_store.ts";
import { ip, lease, put } from "./contracts/lease_store_contract.ts";

const T0 = 1_700_000_000;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(new URL("../scripts/tandem", import.meta.url).pathname, {
    args: ["leases", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("lease history: who held an address when, after a restart, via the CLI", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-history-" });
  const path = `${dir}/leases.db`;
  try {
    // Client 01 holds .10 for an hour, releases it at T0+1800; client 02 gets it at T0+2000.
    const store = SqliteLeaseStore.open(path, { history: true, asyncFsync: true });
    await store.commit([put(lease("10.0.0.10", "c01"))]);
    await store.commit([put(lease("10.0.0.10", "c01", {
      state: "released",
      startSec: T0 + 1800,
      endSec: T0 + 1800,
      clttSec: T0 + 1800,
    }))]);
    await store.commit([put(lease("10.0.0.10", "c02", {
      startSec: T0 + 2000,
      clttSec: T0 + 2000,
      endSec: T0 + 5600,
    }))]);
    store.close();

    // A restart: a new process reads the file.
    const rows = readHistoryFile(path, { ip: ip("10.0.0.10") });
    deepStrictEqual(rows.map((r) => [r.state, r.hwAddr, r.atSec]), [
      ["active", "001122334401", T0],
      ["released", "001122334401", T0 + 1800],
      ["active", "001122334402", T0 + 2000],
    ]);
    const at = async (sec: number) => {
      const r = await cli("--db", path, "--history", "10.0.0.10", "--at", iso(sec), "--json");
      equal(r.code, 0, r.err);
      return JSON.parse(r.out).held.map((h: { hw_address: string }) => h.hw_address);
    };
    deepStrictEqual(await at(T0 + 60), ["00:11:22:33:44:01"]);
    deepStrictEqual(await at(T0 + 1900), [], "released, not yet taken");
    deepStrictEqual(await at(T0 + 3000), ["00:11:22:33:44:02"]);
    deepStrictEqual(await at(T0 + 9000), [], "expired");
    const byMac = await cli("--db", path, "--history", "00:11:22:33:44:01");
    equal(byMac.code, 0, byMac.err);
    match(byMac.out, /2 change\(s\) recorded/);
    const bad = await cli("--db", path, "--history", "10.0.0.10", "--at", "yesterday-ish");
    equal(bad.code, 2);
    match(bad.err, /not a date and time/);

    // Retention: rows older than the cut go; the newest stay.
    const again = SqliteLeaseStore.open(path, { history: true });
    equal(again.pruneHistory(T0 + 1900), 2);
    again.close();
    equal(readHistoryFile(path, { ip: ip("10.0.0.10") }).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lease history: off when history is not asked for", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-history-" });
  const path = `${dir}/leases.db`;
  try {
    const store = SqliteLeaseStore.open(path);
    await store.commit([put(lease("10.0.0.11", "c03"))]);
    store.close();
    equal(readHistoryFile(path, { ip: ip("10.0.0.11") }).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
