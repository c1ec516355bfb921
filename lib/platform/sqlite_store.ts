/**
 * SqliteLeaseStore: the durable LeaseStore. All SQL of Tandem lives in this file.
 *
 * Every read is served by a MemoryLeaseStore index hydrated at open; apply() writes one batch
 * in one `BEGIN IMMEDIATE ... COMMIT` and updates the index only after COMMIT returns, so the
 * DHCP core never sees (and the runtime never acknowledges) a lease that is not on disk.
 * ARCHITECTURE.md invariant 2; RFC 2131 via draft-12 §3.1.3: stable storage before DHCPACK.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Ipv4 } from "../wire/ipv4.ts";
import { BINDING_STATES, type BindingState, type Lease } from "../lease/lease.ts";
import { MemoryLeaseStore, validateOps } from "../lease/memory_store.ts";
import { isDurable, type LeaseOp } from "../lease/ops.ts";
import { checkMoves, type Hold, type LeaseStore, StoreError } from "../lease/store.ts";
import { type CommitHooks, GroupCommit } from "../lease/group_commit.ts";
import { WalSync } from "./sqlite_wal_sync.ts";
import { COLUMNS, prepareWriter, writeBatch, type WriterStatements } from "./sqlite_writer.ts";
export { COLUMNS };

const STATE_CHECK = BINDING_STATES.map((s) => `'${s}'`).join(",");

/**
 * Schema migrations, applied in order at open; PRAGMA user_version is the number applied.
 * Append only: never edit a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE leases (
     ip INTEGER PRIMARY KEY,
     subnet_id INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN (${STATE_CHECK})),
     client_key TEXT NOT NULL,
     hw_type INTEGER NOT NULL,
     hw_addr TEXT NOT NULL,
     client_id TEXT NOT NULL,
     hostname TEXT NOT NULL,
     vendor_class TEXT NOT NULL,
     relay_info TEXT NOT NULL,
     start_sec INTEGER NOT NULL,
     end_sec INTEGER NOT NULL,
     cltt_sec INTEGER NOT NULL,
     acked_potential_end_sec INTEGER NOT NULL,
     potential_end_sec INTEGER NOT NULL,
     pending_update INTEGER NOT NULL,
     seq INTEGER NOT NULL
   );
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   -- The seq counter, written only by batches with a delete: puts keep their seq on the row,
   -- but a delete can consume the highest number, which max(seq) alone would hand out again.
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  // Lease history (issue #12): one row per stored change of a binding, written in the same
  // transaction as the change, kept [store] history_days; "who had 10.1.2.3 at 14:05?"
  `CREATE TABLE lease_history (
     at_sec INTEGER NOT NULL,
     ip INTEGER NOT NULL,
     state TEXT NOT NULL,
     hw_addr TEXT NOT NULL,
     client_id TEXT NOT NULL,
     hostname TEXT NOT NULL,
     relay_info TEXT NOT NULL,
     start_sec INTEGER NOT NULL,
     end_sec INTEGER NOT NULL
   );
   CREATE INDEX lease_history_ip ON lease_history (ip, at_sec);
   CREATE INDEX lease_history_hw ON lease_history (hw_addr, at_sec);
   CREATE INDEX lease_history_at ON lease_history (at_sec);`,
  // Issue #10: the hardware-address index dirtied a random leaf page per history row: 36.8 µs of
  // CPU per stored change with it, 10.7 without (transactions of 20, fsync each, 200,000 rows
  // before). A history search by MAC scans the table instead (rare, run by an operator); the
  // search by address, the usual question ("who had 10.1.2.3 at 14:05?"), keeps its index.
  `DROP INDEX IF EXISTS lease_history_hw;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteOpenOptions {
  /** How long a write waits for another connection's lock before failing (default 5000). */
  readonly busyTimeoutMs?: number;
  /**
   * commit() waits for the fsync off the event loop (sqlite_wal_sync.ts: COMMIT without a sync,
   * then an fdatasync of the WAL on Deno's I/O thread) instead of inside COMMIT. Same
   * durability; the event loop keeps receiving packets during the fsync. File databases only.
   */
  readonly asyncFsync?: boolean;
  /**
   * How long a group of decided changes may wait for more before its transaction starts
   * (group_commit.ts); 0 (the default) starts it at once.
   */
  readonly commitWindowMs?: number;
  /** Record every stored change in lease_history (pruned with pruneHistory). Default false. */
  readonly history?: boolean;
}

/** A group of this many packets starts its transaction without waiting out the window. */
const WINDOW_MAX_WEIGHT = 64;

export class SqliteLeaseStore implements LeaseStore {
  readonly #db: DatabaseSync;
  readonly #index: MemoryLeaseStore;
  readonly #stmts: WriterStatements;
  readonly #groups: GroupCommit;
  #wal: WalSync | undefined;
  /** Result of PRAGMA quick_check at open ("ok" when healthy), for the health endpoint. */
  readonly quickCheck: string;
  /** Rows skipped at open because they do not form a valid Lease (reliability.md §4.7). */
  readonly invalidRows: number;

  private constructor(
    db: DatabaseSync,
    quickCheck: string,
    windowMs: number,
    history: boolean,
  ) {
    this.#db = db;
    this.#groups = new GroupCommit((ops, firstSeq) => this.#writeGroup(ops, firstSeq), {
      windowMs,
      maxWeight: WINDOW_MAX_WEIGHT,
      after: (ms, fn) => setTimeout(fn, ms),
    });
    this.quickCheck = quickCheck;
    const { index, invalidRows } = hydrate(db);
    // quick_check and hydration filled the page cache with every page; the index serves every
    // read from now on, so give that memory back (writes refill only what they touch).
    db.exec("PRAGMA shrink_memory");
    this.#index = index;
    this.invalidRows = invalidRows;
    this.#stmts = prepareWriter(db, history);
  }

  /** Opens (creating and migrating if needed) the lease database; ":memory:" for tests. */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteLeaseStore {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      const asyncFsync = options.asyncFsync === true && path !== ":memory:" && path !== "";
      configure(db, path, options.busyTimeoutMs ?? 5000, asyncFsync ? "NORMAL" : "FULL");
      migrate(db);
      const quickCheck = db.prepare("PRAGMA quick_check").all()
        .map((r) => String(r.quick_check)).join("; ");
      const store = new SqliteLeaseStore(
        db,
        quickCheck,
        options.commitWindowMs ?? 0,
        options.history === true,
      );
      if (asyncFsync) store.#wal = new WalSync(`${path}-wal`);
      return store;
    } catch (e) {
      db?.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot open lease database ${path}`, { cause: e });
    }
  }

  get(ip: Ipv4): Lease | undefined {
    return this.#index.get(ip);
  }
  byClient(clientKey: string): readonly Lease[] {
    return this.#index.byClient(clientKey);
  }
  stateOf(ip: Ipv4): BindingState | undefined {
    return this.#index.stateOf(ip);
  }
  hold(ip: Ipv4): Hold | undefined {
    return this.#index.hold(ip);
  }
  heldFor(clientKey: string): Ipv4 | undefined {
    return this.#index.heldFor(clientKey);
  }
  all(): Iterable<Lease> {
    return this.#index.all();
  }
  size(): number {
    return this.#index.size();
  }
  meta(key: string): string | undefined {
    return this.#index.meta(key);
  }
  forEachState(fn: (ip: Ipv4, subnetId: number, state: BindingState) => void): void {
    this.#index.forEachState(fn);
  }
  dueForReclaim(nowSec: number, limit: number): readonly Lease[] {
    return this.#index.dueForReclaim(nowSec, limit);
  }
  countByState(subnetId: number): Readonly<Record<BindingState, number>> {
    return this.#index.countByState(subnetId);
  }
  changedSince(afterSeq: number): readonly Lease[] {
    return this.#index.changedSince(afterSeq);
  }

  apply(ops: readonly LeaseOp[]): void {
    validateOps(ops);
    if (!this.#groups.idle) {
      throw new StoreError("apply() while commits are pending: write through commit()");
    }
    // Holds are memory-only (ops.ts): a batch of offers costs no transaction and no fsync.
    if (ops.some(isDurable)) {
      this.#write(ops, this.#index.lastSeq());
      try {
        this.#wal?.syncNow();
      } catch (e) {
        throw new StoreError(`lease transaction failed (${ops.length} ops)`, { cause: e });
      }
    }
    // Only now, after COMMIT returned, may readers (and so replies) see the batch.
    this.#index.apply(ops);
  }

  /**
   * Kea memfile's shape: the index takes the ops at once (the next decision sees them), the
   * durable ops join the group commit (group_commit.ts), and the promise resolves after their
   * transaction and the WAL's fdatasync (off the event loop with asyncFsync).
   */
  commit(ops: readonly LeaseOp[], weight = 0): Promise<void> {
    validateOps(ops);
    checkMoves(ops, this.#index);
    const firstSeq = this.#index.lastSeq();
    this.#index.apply(ops);
    const durable = ops.filter(isDurable);
    if (durable.length === 0) return Promise.resolve();
    return this.#groups.add(durable, firstSeq, weight);
  }

  pending(ip: Ipv4): Promise<void> | undefined {
    return this.#groups.pending(ip);
  }

  drain(): Promise<void> {
    return this.#groups.drain();
  }

  /** Commit latency, group sizes and failure (app/dhcp_metrics.ts commitHooks). */
  set hooks(h: CommitHooks) {
    this.#groups.hooks = h;
  }

  /**
   * Deletes history rows recorded before beforeSec; returns how many. Between transactions
   * (JS runs one thing at a time), outside the group commit: losing a prune to a crash costs
   * nothing, so it needs no fsync of its own.
   */
  pruneHistory(beforeSec: number): number {
    return Number(
      this.#db.prepare("DELETE FROM lease_history WHERE at_sec < ?").run(beforeSec).changes,
    );
  }

  close(): void {
    this.#wal?.close();
    this.#wal = undefined;
    if (this.#db.isOpen) this.#db.close();
  }

  /** One group: its transaction, then (asyncFsync) the WAL's fdatasync off the event loop. */
  async #writeGroup(ops: readonly LeaseOp[], firstSeq: number): Promise<void> {
    this.#write(ops, firstSeq);
    const wal = this.#wal;
    if (wal === undefined) return;
    await wal.sync().catch((e) => {
      throw new StoreError(`lease transaction not durable: WAL fsync failed`, { cause: e });
    });
  }

  /**
   * One transaction per group: with WAL + synchronous=FULL the COMMIT fsyncs the WAL once for
   * the whole group, the group commit of reliability.md §4.6 (dhcpd's delayed-ack pattern).
   * Each put and delete takes the next seq after firstSeq, the numbers the index gave them.
   */
  #write(ops: readonly LeaseOp[], firstSeq: number): void {
    try {
      writeBatch(this.#db, this.#stmts, ops, firstSeq);
    } catch (e) {
      throw new StoreError(`lease transaction failed (${ops.length} ops)`, { cause: e });
    }
  }
}

/**
 * reliability.md §4.5/§4.7: WAL + synchronous=FULL is the only setting under which every
 * acknowledged lease survives a power cut, or NORMAL when the caller fsyncs the WAL itself after
 * each COMMIT (WalSync); synchronous is per connection, so set it on every open and read it
 * back. busy_timeout lets a backup tool or `tandem leases` coexist.
 */
export function configure(
  db: DatabaseSync,
  path: string,
  busyTimeoutMs: number,
  synchronous: "FULL" | "NORMAL" = "FULL",
): void {
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  // Reads are served by the memory index, so the page cache only has to hold the b-tree pages
  // a batch of writes touches: 512 KiB instead of SQLite's default 2 MiB.
  db.exec("PRAGMA cache_size = -512");
  const mode = String(db.prepare("PRAGMA journal_mode = WAL").get()?.journal_mode);
  const inMemory = path === ":memory:" || path === "";
  if (mode !== "wal" && !(inMemory && mode === "memory")) {
    throw new StoreError(`${path}: journal_mode is ${mode}, WAL is required`);
  }
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  const sync = Number(db.prepare("PRAGMA synchronous").get()?.synchronous);
  const want = synchronous === "FULL" ? 2 : 1;
  if (sync !== want) {
    throw new StoreError(`${path}: synchronous is ${sync}, ${synchronous} (${want}) is required`);
  }
}

function userVersion(db: DatabaseSync): number {
  return Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
}

function checkVersion(version: number, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `${path}: schema version ${version} is newer than this Tandem knows (${SCHEMA_VERSION}); ` +
        "refusing to open it (was the server downgraded?)",
    );
  }
}

/** Applies the missing migrations in one transaction, re-reading the version under the lock. */
function migrate(db: DatabaseSync): void {
  checkVersion(userVersion(db), "lease database");
  if (userVersion(db) === SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = userVersion(db);
    checkVersion(from, "lease database");
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (e) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}

/** One row as an array, in COLUMNS order (arrays read about 3x faster than objects). */
type Row = readonly unknown[];

function rowToLease(r: Row): Lease {
  return {
    ip: r[0] as Ipv4,
    subnetId: r[1] as number,
    state: r[2] as BindingState,
    clientKey: r[3] as string,
    hwType: r[4] as number,
    hwAddr: r[5] as string,
    clientId: r[6] as string,
    hostname: r[7] as string,
    vendorClass: r[8] as string,
    relayInfo: r[9] as string,
    startSec: r[10] as number,
    endSec: r[11] as number,
    clttSec: r[12] as number,
    ackedPotentialEndSec: r[13] as number,
    potentialEndSec: r[14] as number,
    pendingUpdate: r[15] === 1,
    seq: r[16] as number,
  };
}

/** rowToLease into an existing record (hydration reuses one). */
function fillLease(l: { -readonly [K in keyof Lease]: Lease[K] }, r: Row): Lease {
  l.ip = r[0] as Ipv4;
  l.subnetId = r[1] as number;
  l.state = r[2] as BindingState;
  l.clientKey = r[3] as string;
  l.hwType = r[4] as number;
  l.hwAddr = r[5] as string;
  l.clientId = r[6] as string;
  l.hostname = r[7] as string;
  l.vendorClass = r[8] as string;
  l.relayInfo = r[9] as string;
  l.startSec = r[10] as number;
  l.endSec = r[11] as number;
  l.clttSec = r[12] as number;
  l.ackedPotentialEndSec = r[13] as number;
  l.potentialEndSec = r[14] as number;
  l.pendingUpdate = r[15] === 1;
  l.seq = r[16] as number;
  return l;
}

const PAGE_ROWS = 1024;

/** Reads leases in address order, a page at a time (bounded memory, fast array rows). */
function* readLeaseRows(db: DatabaseSync, where = "", args: readonly (string | number)[] = []) {
  const page = db.prepare(
    `SELECT ${COLUMNS} FROM leases WHERE ip > ?${where} ORDER BY ip LIMIT ${PAGE_ROWS}`,
  );
  // Present in Deno's node:sqlite (and Node >= 24) but missing from the bundled types.
  const arrays = page as StatementSync & { setReturnArrays?: (on: boolean) => void };
  arrays.setReturnArrays?.(true);
  let after = -1;
  for (;;) {
    const rows = page.all(after, ...args) as unknown[];
    for (const r of rows) yield Array.isArray(r) ? r as Row : Object.values(r as object);
    if (rows.length < PAGE_ROWS) return;
    const last = rows[rows.length - 1];
    after = (Array.isArray(last) ? last[0] : (last as { ip: number }).ip) as number;
  }
}

/**
 * Builds the memory index from disk; seq resumes from the highest number ever handed out. A row
 * that is not a valid Lease (hand-edited file) is skipped and counted, not fatal: one bad row
 * must not keep the server down (reliability.md §4.3, CVE-2019-6474). The row stays on disk.
 */
function hydrate(db: DatabaseSync): { index: MemoryLeaseStore; invalidRows: number } {
  db.exec("BEGIN"); // one snapshot of leases, meta and counters
  try {
    return hydrateInSnapshot(db);
  } finally {
    db.exec("COMMIT");
  }
}

function hydrateInSnapshot(db: DatabaseSync): { index: MemoryLeaseStore; invalidRows: number } {
  const index = new MemoryLeaseStore();
  let invalidRows = 0;
  // Sized once: growing the index's arrays step by step leaves garbage, and the V8 heap keeps
  // the peak (bench_memory.ts).
  index.reserve(Number(db.prepare("SELECT count(*) AS n FROM leases").get()?.n ?? 0));
  // One pass in address order (keeps the index's sorted address list valid without a sort),
  // a page of rows at a time: each page is garbage before the next is read, where iterate()
  // kept every row's native handles until the loop ended (about 7 MB more RSS per 100,000
  // rows, which the process never gave back). Each row is copied into one reused scratch
  // record, which restore() does not keep.
  const scratch = { ...rowToLease([0, 0, "free", "", 0, "", "", "", "", "", 0, 0, 0, 0, 0, 0, 0]) };
  for (const r of readLeaseRows(db)) {
    if (!index.restore(fillLease(scratch, r))) invalidRows++;
  }
  for (const r of db.prepare("SELECT key, value FROM meta").iterate()) {
    index.restoreMeta(String(r.key), String(r.value));
  }
  const saved = db.prepare("SELECT value FROM counters WHERE name = 'seq'").get();
  if (saved !== undefined) index.restoreSeq(Number(saved.value));
  return { index, invalidRows };
}

export interface LeaseFileFilter {
  readonly subnetId?: number;
  readonly states?: readonly BindingState[];
  readonly clientKey?: string;
}

/**
 * Opens a lease database read-only (for `tandem leases`); works while a server holds it open
 * in WAL mode, and sees what the server has committed. Not exported: SQL stays in this file.
 */
function openReadOnly(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    const version = userVersion(db);
    checkVersion(version, path);
    if (version < SCHEMA_VERSION) {
      throw new StoreError(
        `${path}: schema version ${version}, expected ${SCHEMA_VERSION}; start the server once ` +
          "to migrate it",
      );
    }
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError(`cannot open lease database ${path} read-only`, { cause: e });
  }
}

/** The stored leases (address order) matching every given filter field. */
/** One lease_history row, as `tandem leases --history` shows it. */
export interface HistoryRow {
  readonly atSec: number;
  readonly ip: Ipv4;
  readonly state: string;
  readonly hwAddr: string;
  readonly clientId: string;
  readonly hostname: string;
  readonly relayInfo: string;
  readonly startSec: number;
  readonly endSec: number;
}

/** History rows of an address or a hardware address (hex, no separators), oldest first. */
export function readHistoryFile(
  path: string,
  of: { readonly ip: Ipv4 } | { readonly hwAddr: string },
): HistoryRow[] {
  const db = openReadOnly(path);
  try {
    const [where, arg] = "ip" in of ? ["ip = ?", of.ip] : ["hw_addr = ?", of.hwAddr];
    const rows = db.prepare(
      `SELECT at_sec, ip, state, hw_addr, client_id, hostname, relay_info, start_sec, end_sec
       FROM lease_history WHERE ${where} ORDER BY at_sec, rowid`,
    ).all(arg);
    return rows.map((r) => ({
      atSec: Number(r.at_sec),
      ip: Number(r.ip) as Ipv4,
      state: String(r.state),
      hwAddr: String(r.hw_addr),
      clientId: String(r.client_id),
      hostname: String(r.hostname),
      relayInfo: String(r.relay_info),
      startSec: Number(r.start_sec),
      endSec: Number(r.end_sec),
    }));
  } finally {
    db.close();
  }
}

export function readLeasesFile(path: string, filter: LeaseFileFilter = {}): Lease[] {
  const db = openReadOnly(path);
  try {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.subnetId !== undefined) {
      where.push("subnet_id = ?");
      args.push(filter.subnetId);
    }
    if (filter.states !== undefined) {
      where.push(`state IN (${filter.states.map(() => "?").join(",") || "NULL"})`);
      args.push(...filter.states);
    }
    if (filter.clientKey !== undefined) {
      where.push("client_key = ?");
      args.push(filter.clientKey);
    }
    const extra = where.map((w) => ` AND ${w}`).join("");
    // One read transaction: every page comes from the same snapshot, even while the server
    // commits between pages.
    db.exec("BEGIN");
    return Array.from(readLeaseRows(db, extra, args), rowToLease);
  } finally {
    db.close();
  }
}

/** The stored metadata of a lease database (failover state and the like), read-only. */
export function readMetaFile(path: string): Map<string, string> {
  const db = openReadOnly(path);
  try {
    const out = new Map<string, string>();
    for (const r of db.prepare("SELECT key, value FROM meta ORDER BY key").iterate()) {
      out.set(String(r.key), String(r.value));
    }
    return out;
  } finally {
    db.close();
  }
}
