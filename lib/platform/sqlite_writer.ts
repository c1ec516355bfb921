/**
 * The write half of the SQLite lease store: the prepared statements and the one function that
 * writes a batch of ops as one transaction. Reads and the index stay in sqlite_store.ts; the fsync
 * after COMMIT in sqlite_wal_sync.ts.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { LeaseOp } from "../lease/ops.ts";

/** The leases table's columns, in the order rows are read and written. */
export const COLUMNS = "ip, subnet_id, state, client_key, hw_type, hw_addr, client_id, hostname, " +
  "vendor_class, relay_info, start_sec, end_sec, cltt_sec, acked_potential_end_sec, " +
  "potential_end_sec, pending_update, seq";

export interface WriterStatements {
  readonly put: StatementSync;
  readonly delete: StatementSync;
  readonly meta: StatementSync;
  readonly saveSeq: StatementSync;
  /** Appends a lease_history row; undefined when history is off. */
  readonly history: StatementSync | undefined;
}

export function prepareWriter(db: DatabaseSync, history = false): WriterStatements {
  return {
    history: history
      ? db.prepare(
        "INSERT INTO lease_history (at_sec, ip, state, hw_addr, client_id, hostname, " +
          "relay_info, start_sec, end_sec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      : undefined,
    put: db.prepare(
      `INSERT OR REPLACE INTO leases (${COLUMNS}) VALUES (${COLUMNS.replace(/\w+/g, "?")})`,
    ),
    delete: db.prepare("DELETE FROM leases WHERE ip = ?"),
    meta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    saveSeq: db.prepare("INSERT OR REPLACE INTO counters (name, value) VALUES ('seq', ?)"),
  };
}

/**
 * Writes one batch as one transaction, straight from the ops (no intermediate rows: this runs
 * on the main thread). Each put and delete takes the next seq after firstSeq; a batch with a
 * delete also saves the counter, since a delete can consume the highest number.
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
  try {
    db.exec("BEGIN IMMEDIATE");
    let seq = firstSeq;
    let deleted = false;
    for (const op of ops) {
      switch (op.kind) {
        case "put": {
          const l = op.lease;
          st.put.run(
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
            ++seq,
          );
          // When the change happened: the client's last transaction, or when the state began.
          st.history?.run(
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
          break;
        }
        case "delete":
          ++seq;
          deleted = true;
          st.delete.run(op.ip);
          break;
        case "meta":
          st.meta.run(op.key, op.value);
          break;
        case "hold":
        case "unhold":
          break;
      }
    }
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
