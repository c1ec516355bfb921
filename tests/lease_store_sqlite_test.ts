import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  readHistoryFile,
  readLeasesFile,
  readMetaFile,
  SCHEMA_VERSION,
  SqliteLeaseStore,
} from "../lib/platform/sqlite_store.ts";
import { StoreError } from "../lib/lease/store.ts";
import { del, ip, lease, put, runLeaseStoreContract } from "./contracts/lease_store_contract.ts";

runLeaseStoreContract("SqliteLeaseStore(:memory:)", () => SqliteLeaseStore.open(":memory:"));

const contractDir = Deno.makeTempDirSync({ prefix: "tandem-lease-contract-" });
let files = 0;
globalThis.addEventListener("unload", () => Deno.removeSync(contractDir, { recursive: true }));
runLeaseStoreContract(
  "SqliteLeaseStore(file)",
  () => SqliteLeaseStore.open(`${contractDir}/leases-${++files}.db`),
);

/** Runs fn with a fresh database path in its own temp dir, removed afterwards. */
function withDb(what: string, fn: (path: string) => void | Promise<void>): void {
  Deno.test(`SqliteLeaseStore: ${what}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tandem-lease-" });
    try {
      await fn(`${dir}/leases.db`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

withDb("leases, meta and seq survive close and reopen; holds do not", (path) => {
  const s1 = SqliteLeaseStore.open(path);
  s1.apply([
    put(lease("10.0.0.1", "c1", { pendingUpdate: true, relayInfo: "0103010203" })),
    put(lease("10.0.0.2", "c2", { state: "released", subnetId: 7 })),
    put(lease("10.0.0.3", "c1")),
    { kind: "meta", key: "failover.state", value: "normal" },
    { kind: "hold", ip: ip("10.0.0.9"), clientKey: "c9", untilSec: 1 },
  ]);
  const before = [...s1.all()];
  s1.close();
  // A reader also works with no server running (no -wal / -shm files left).
  deepStrictEqual(readLeasesFile(path), before);

  const s2 = SqliteLeaseStore.open(path);
  try {
    deepStrictEqual([...s2.all()], before);
    equal(s2.meta("failover.state"), "normal");
    equal(s2.hold(ip("10.0.0.9")), undefined);
    equal(s2.countByState(7).released, 1);
    equal(s2.countByState(1).active, 2);
    deepStrictEqual(s2.byClient("c1").map((l) => l.seq), [3, 1]);
    deepStrictEqual(s2.changedSince(1).map((l) => l.seq), [2, 3]);
    equal(s2.quickCheck, "ok");
    equal(s2.invalidRows, 0);
    s2.apply([put(lease("10.0.0.4", "c4"))]);
    equal(s2.get(ip("10.0.0.4"))?.seq, 4);
  } finally {
    s2.close();
  }
});

withDb("seq continues after a restart even when deletes consumed the highest numbers", (path) => {
  const s1 = SqliteLeaseStore.open(path);
  s1.apply([put(lease("10.0.0.1", "c1")), put(lease("10.0.0.2", "c2"))]);
  s1.apply([del("10.0.0.2"), del("10.0.0.3")]);
  s1.close();
  const s2 = SqliteLeaseStore.open(path);
  try {
    s2.apply([put(lease("10.0.0.5", "c5"))]);
    equal(s2.get(ip("10.0.0.5"))?.seq, 5);
    deepStrictEqual(s2.changedSince(2).map((l) => l.seq), [5]);
  } finally {
    s2.close();
  }
});

withDb("an empty file is migrated to the current schema, in WAL mode", (path) => {
  Deno.writeFileSync(path, new Uint8Array());
  SqliteLeaseStore.open(path).close();
  SqliteLeaseStore.open(path).close(); // reopening an up-to-date file is a no-op
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
    equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((r) => r.name);
    deepStrictEqual(tables, ["counters", "lease_history", "leases", "meta"]);
  } finally {
    db.close();
  }
});

withDb("a file from a newer schema or not SQLite at all is refused", (path) => {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  throws(
    () => SqliteLeaseStore.open(path),
    (e) => e instanceof StoreError && /newer/.test(e.message),
  );
  Deno.writeTextFileSync(path, "this is not a database, ".repeat(100));
  throws(() => SqliteLeaseStore.open(path), StoreError);
});

withDb("a transaction failing mid-batch leaves disk and index unchanged", (path) => {
  const s = SqliteLeaseStore.open(path);
  const other = new DatabaseSync(path);
  try {
    s.apply([put(lease("10.0.0.1", "c1")), { kind: "meta", key: "k", value: "old" }]);
    // A trigger makes the third op of the next batch fail inside SQLite, after two succeeded.
    other.exec(`CREATE TRIGGER boom BEFORE INSERT ON leases WHEN NEW.ip = ${ip("10.0.0.66")}
                BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const batch = [
      put(lease("10.0.0.1", "c1", { state: "released" })),
      { kind: "meta", key: "k", value: "new" } as const,
      { kind: "hold", ip: ip("10.0.0.8"), clientKey: "c8", untilSec: 9 } as const,
      put(lease("10.0.0.66", "c6")),
    ];
    throws(
      () => s.apply(batch),
      (e) =>
        e instanceof StoreError && e.cause instanceof Error && /disk says no/.test(e.cause.message),
    );
    // Index unchanged.
    equal(s.get(ip("10.0.0.1"))?.state, "active");
    equal(s.get(ip("10.0.0.66")), undefined);
    equal(s.meta("k"), "old");
    equal(s.hold(ip("10.0.0.8")), undefined);
    equal(s.countByState(1).active, 1);
    // Disk unchanged, as seen by another reader.
    deepStrictEqual(readLeasesFile(path).map((l) => [l.ip, l.state]), [[ip("10.0.0.1"), "active"]]);
    equal(readMetaFile(path).get("k"), "old");
    // The store is still usable, and the failed batch consumed no seq.
    other.exec("DROP TRIGGER boom");
    s.apply(batch);
    equal(s.get(ip("10.0.0.66"))?.seq, 3);
    equal(readLeasesFile(path).length, 2);
  } finally {
    other.close();
    s.close();
  }
});

withDb("a busy database fails the batch cleanly; hold-only batches need no lock", (path) => {
  const s = SqliteLeaseStore.open(path, { busyTimeoutMs: 20 });
  const other = new DatabaseSync(path);
  try {
    other.exec("BEGIN IMMEDIATE");
    throws(() => s.apply([put(lease("10.0.0.1", "c1"))]), StoreError);
    equal(s.size(), 0);
    s.apply([{ kind: "hold", ip: ip("10.0.0.2"), clientKey: "c2", untilSec: 5 }]);
    equal(s.hold(ip("10.0.0.2"))?.clientKey, "c2");
    other.exec("ROLLBACK");
    s.apply([put(lease("10.0.0.1", "c1"))]);
    equal(s.get(ip("10.0.0.1"))?.seq, 1);
  } finally {
    other.close();
    s.close();
  }
});

withDb("a read-only reader sees committed data while the writer is open", (path) => {
  const s = SqliteLeaseStore.open(path);
  try {
    s.apply([
      put(lease("10.0.0.2", "c2", { state: "expired" })),
      put(lease("10.0.0.1", "c1", { subnetId: 2 })),
      put(lease("10.0.0.3", "c1")),
      { kind: "meta", key: "failover.state", value: "partner-down" },
    ]);
    // Nothing checkpointed yet: the reader must read through the WAL.
    deepStrictEqual(readLeasesFile(path), [...s.all()]);
    deepStrictEqual(readLeasesFile(path, { subnetId: 2 }).map((l) => l.ip), [ip("10.0.0.1")]);
    deepStrictEqual(readLeasesFile(path, { states: ["expired", "free"] }).map((l) => l.ip), [
      ip("10.0.0.2"),
    ]);
    deepStrictEqual(readLeasesFile(path, { states: [] }), []);
    deepStrictEqual(readLeasesFile(path, { clientKey: "c1", subnetId: 1 }).map((l) => l.ip), [
      ip("10.0.0.3"),
    ]);
    equal(readMetaFile(path).get("failover.state"), "partner-down");
    s.apply([del("10.0.0.2")]);
    equal(readLeasesFile(path).length, 2);
  } finally {
    s.close();
  }
});

withDb("reading a missing file fails with StoreError and creates nothing", (path) => {
  throws(() => readLeasesFile(path), StoreError);
  throws(() => Deno.statSync(path), Deno.errors.NotFound);
});

withDb("a hand-damaged row is skipped and counted, not fatal", (path) => {
  const s1 = SqliteLeaseStore.open(path);
  s1.apply([put(lease("10.0.0.1", "c1")), put(lease("10.0.0.2", "c2"))]);
  s1.close();
  const db = new DatabaseSync(path);
  db.exec(`UPDATE leases SET hw_type = 'ethernet' WHERE ip = ${ip("10.0.0.2")}`);
  db.close();
  const s2 = SqliteLeaseStore.open(path);
  try {
    equal(s2.invalidRows, 1);
    equal(s2.size(), 1);
    ok(s2.get(ip("10.0.0.1")) !== undefined);
  } finally {
    s2.close();
  }
});

Deno.test("SqliteLeaseStore: commit() decides at once and is durable when it resolves (asyncFsync)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-writer-" });
  const path = `${dir}/leases.db`;
  try {
    const s = SqliteLeaseStore.open(path, { asyncFsync: true });
    const ops = Array.from({ length: 50 }, (_, i) => put(lease(`10.0.1.${100 + i}`, `k${i}`)));
    const p = s.commit(ops);
    equal(s.get(ip("10.0.1.100"))?.clientKey, "k0", "the index is the decided state at once");
    equal(s.pending(ip("10.0.1.100")) !== undefined, true, "not durable yet");
    const onDisk = () => {
      const r = SqliteLeaseStore.open(path);
      const n = r.size();
      r.close();
      return n;
    };
    equal(onDisk(), 0, "nothing on disk before the group commits");
    await p;
    equal(s.pending(ip("10.0.1.100")), undefined);
    equal(onDisk(), 50, "on disk once the promise resolved");
    equal(s.get(ip("10.0.1.149"))?.clientKey, "k49");
    await s.commit([del("10.0.1.100"), { kind: "meta", key: "m", value: "v" }]);
    // The blocking apply() path interleaves safely with commit().
    s.apply([put(lease("10.0.2.1", "sync"))]);
    await s.commit([put(lease("10.0.2.2", "async"))]);
    s.close();
    const r = SqliteLeaseStore.open(path);
    equal(r.size(), 51);
    equal(r.get(ip("10.0.1.100")), undefined);
    equal(r.meta("m"), "v");
    equal(r.get(ip("10.0.2.2"))?.clientKey, "async");
    const seqs = [...r.all()].map((l) => l.seq);
    equal(new Set(seqs).size, seqs.length, "seqs stay unique across both write paths");
    r.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteLeaseStore: commit() with asyncFsync rejects when the WAL cannot be synced, and so does every later one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-walsync-" });
  const path = `${dir}/leases.db`;
  try {
    const s = SqliteLeaseStore.open(path, { asyncFsync: true });
    await s.commit([put(lease("10.0.3.1", "first"))]);
    // With the WAL file gone from its path the fsync after COMMIT cannot run: the caller must
    // hear of it (no reply may leave for the batch; the process stops, group_commit.ts), and
    // nothing decided afterwards may ever resolve as durable.
    await Deno.remove(`${path}-wal`);
    await rejects(() => s.commit([put(lease("10.0.3.2", "second"))]), StoreError);
    await rejects(() => s.commit([put(lease("10.0.3.3", "third"))]), StoreError);
    s.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

withDb(
  "a batch of many puts, deletes and a re-put keeps op order on disk and in history",
  (path) => {
    // 20 puts (two full multi-row inserts and a remainder), a delete and a re-put between them, and
    // the same address twice within one run of puts: the later row must win.
    const ops = [];
    for (let i = 1; i <= 11; i++) ops.push(put(lease(`10.0.1.${i}`, `c${i}`)));
    ops.push(del("10.0.1.3"), del("10.0.1.4"));
    ops.push(put(lease("10.0.1.2", "c2", { state: "released" })));
    for (let i = 12; i <= 20; i++) ops.push(put(lease(`10.0.1.${i}`, `c${i}`)));
    ops.push(put(lease("10.0.1.12", "c12", { hostname: "second" })));
    ops.push({ kind: "meta" as const, key: "k", value: "v" });
    ops.push(put(lease("10.0.1.3", "c3b")));
    const s1 = SqliteLeaseStore.open(path, { history: true });
    s1.apply(ops);
    const before = [...s1.all()];
    s1.close();
    deepStrictEqual(readLeasesFile(path), before);
    equal(before.length, 19);
    equal(before.find((l) => l.ip === ip("10.0.1.4")), undefined);
    equal(before.find((l) => l.ip === ip("10.0.1.2"))?.state, "released");
    equal(before.find((l) => l.ip === ip("10.0.1.12"))?.hostname, "second");
    equal(before.find((l) => l.ip === ip("10.0.1.3"))?.clientKey, "c3b");
    deepStrictEqual(before.map((l) => l.seq).sort((a, b) => a - b).at(-1), ops.length - 1);
    equal(readMetaFile(path).get("k"), "v");
    const db = new DatabaseSync(path, { readOnly: true });
    equal(db.prepare("SELECT count(*) AS n FROM lease_history").get()?.n, 23, "a row per put");
    db.close();
    deepStrictEqual(
      readHistoryFile(path, { ip: ip("10.0.1.2") }).map((r) => r.state),
      ["active", "released"],
    );
  },
);
