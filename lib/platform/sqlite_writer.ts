/**
 * The write half of the SQLite lease store: the prepared statements and the one function that
 * writes a batch of ops as one transaction. Reads and the index stay in sqlite_store.ts; the fsync
 * after COMMIT in sqlite_wal_sync.ts.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Lease } from "../lease/lease.ts";
import type { LeaseOp } from "../lease/ops.ts";

/** The leases table's columns, in the order rows are read and written. */
export const COLUMNS = "ip, subnet_id, state, client_key, hw_type, hw_addr, client_id, hostname, " +
  "vendor_class, relay_info, start_sec, end_sec, cltt_sec, acked_potential_end_sec, " +
  "potential_end_sec, pending_update, seq";

/**
 * Rows per multi-row INSERT. Every statement run is a crossing from JS into SQLite with its
 * own bind, step and reset; eight rows per run halved the CPU per stored change (issue #10,
 * 120,000 puts with their history rows in transactions of 120: 7.2-9.7 µs per change one row
 * at a time, 4.3-4.6 with 8 rows, 5.4 with 16). SQLite applies a multi-row VALUES list in order.
 */
export const ROWS_PER_INSERT = 8;

/** The columns of a lease_history row, in the order pushHistory() writes them. */
const HISTORY_COLUMNS = "at_sec, ip, state, hw_addr, client_id, hostname, relay_info, " +
  "start_sec, end_sec";

/** An INSERT of one row and of ROWS_PER_INSERT rows into one table; width: its columns. */
interface RowInsert {
  readonly one: StatementSync;
  readonly many: StatementSync;
  readonly width: number;
}

function prepareRows(db: DatabaseSync, verb: string, table: string, columns: string): RowInsert {
  const width = columns.split(",").length;
  const row = `(${Array(width).fill("?").join(", ")})`;
  const head = `${verb} INTO ${table} (${columns}) VALUES `;
  return {
    one: db.prepare(head + row),
    many: db.prepare(head + Array(ROWS_PER_INSERT).fill(row).join(", ")),
    width,
  };
}

export interface WriterStatements {
  readonly put: RowInsert;
  readonly delete: StatementSync;
  readonly meta: StatementSync;
  readonly saveSeq: StatementSync;
  /** Appends lease_history rows; undefined when history is off. */
  readonly history: RowInsert | undefined;
}

export function prepareWriter(db: DatabaseSync, history = false): WriterStatements {
  return {
    history: history ? prepareRows(db, "INSERT", "lease_history", HISTORY_COLUMNS) : undefined,
    put: prepareRows(db, "INSERT OR REPLACE", "leases", COLUMNS),
    delete: db.prepare("DELETE FROM leases WHERE ip = ?"),
    meta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    saveSeq: db.prepare("INSERT OR REPLACE INTO counters (name, value) VALUES ('seq', ?)"),
  };
}

type Value = string | number;

/** Appends one put's lease row to `out`, columns in COLUMNS order. */
function pushLease(out: Value[], l: Lease, seq: number): void {
  out.push(
    l.ip,
    l.subnetId,
    l.state,
    l.clientKey,
    l.hwType,
    l.hwAddr,
    l.clientId,
    l.hostname,
    l.vendorClass,
    l.relayInfo,
    l.startSec,
    l.endSec,
    l.clttSec,
    l.ackedPotentialEndSec,
    l.potentialEndSec,
    l.pendingUpdate ? 1 : 0,
    seq,
  );
}

/** One lease_history row, HISTORY_COLUMNS: at the client's last transaction, or the start. */
function pushHistory(out: Value[], l: Lease): void {
  out.push(
    Math.max(l.startSec, l.clttSec),
    l.ip,
    l.state,
    l.hwAddr,
    l.clientId,
    l.hostname,
    l.relayInfo,
    l.startSec,
    l.endSec,
  );
}

/** Runs `values` (whole rows) as full multi-row inserts, then single-row ones; empties it. */
function insertRows(ins: RowInsert, values: Value[]): void {
  const chunk = ins.width * ROWS_PER_INSERT;
  let i = 0;
  for (; i + chunk <= values.length; i += chunk) ins.many.run(...values.slice(i, i + chunk));
  for (; i < values.length; i += ins.width) ins.one.run(...values.slice(i, i + ins.width));
  values.length = 0;
}

/**
 * Writes one batch as one transaction, straight from the ops (no intermediate rows: this runs
 * on the main thread). Each put and delete takes the next seq after firstSeq; a batch with a
 * delete also saves the counter, since a delete can consume the highest number. Runs of puts
 * go ROWS_PER_INSERT rows per statement; a delete or meta op first writes the puts before it,
 * so the ops reach the table in their order.
 * IMMEDIATE takes the write lock up front, so a busy database fails here, not mid-batch. A
 * failed COMMIT (e.g. fsync error) may or may not have reached the disk; the caller reports
 * failure so no reply leaves, and at worst a restart shows a binding nobody was told of, which
 * is the safe direction (reliability.md §4.5: sync failure loses durability, not integrity).
 */
export function writeBatch(
  db: DatabaseSync,
  st: WriterStatements,
  ops: readonly LeaseOp[],
  firstSeq: number,
): void {
  const leases: Value[] = [];
  const history: Value[] = [];
  const flush = () => {
    insertRows(st.put, leases);
    if (st.history) insertRows(st.history, history);
  };
  try {
    db.exec("BEGIN IMMEDIATE");
    let seq = firstSeq;
    let deleted = false;
    for (const op of ops) {
      switch (op.kind) {
        case "put":
          pushLease(leases, op.lease, ++seq);
          if (st.history) pushHistory(history, op.lease);
          break;
        case "delete":
          flush();
          ++seq;
          deleted = true;
          st.delete.run(op.ip);
          break;
        case "meta":
          flush();
          st.meta.run(op.key, op.value);
          break;
        case "hold":
        case "unhold":
          break;
      }
    }
    flush();
    if (deleted) st.saveSeq.run(seq);
    db.exec("COMMIT");
  } catch (e) {
    if (db.isOpen && db.isTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch { /* the original error is the one worth reporting */ }
    }
    throw e;
  }
}
