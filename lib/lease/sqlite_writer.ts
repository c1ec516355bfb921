/**
 * The write half of the SQLite lease store: a batch as plain rows, the one function that
 * writes a batch as one transaction, and the writer thread (sqlite_writer_worker.ts) that
 * runs it off the event loop. Reads and the index stay in sqlite_store.ts.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { LeaseOp } from "./ops.ts";
import { COLUMNS, configure } from "./sqlite_store.ts";

/** A batch as plain data, so it can cross to the writer thread. */
export type BatchRow =
  | readonly ["put", ...(string | number)[]]
  | readonly ["delete", number]
  | readonly ["meta", string, string]
  | readonly ["seq", number];

export function batchRows(ops: readonly LeaseOp[], firstSeq: number): BatchRow[] {
  const rows: BatchRow[] = [];
  let seq = firstSeq;
  let deleted = false;
  for (const op of ops) {
    switch (op.kind) {
      case "put": {
        const l = op.lease;
        rows.push([
          "put",
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
        ]);
        break;
      }
      case "delete":
        ++seq;
        deleted = true;
        rows.push(["delete", op.ip]);
        break;
      case "meta":
        rows.push(["meta", op.key, op.value]);
        break;
      case "hold":
      case "unhold":
        break;
    }
  }
  if (deleted) rows.push(["seq", seq]);
  return rows;
}

export interface WriterStatements {
  readonly put: StatementSync;
  readonly delete: StatementSync;
  readonly meta: StatementSync;
  readonly saveSeq: StatementSync;
}

export function prepareWriter(db: DatabaseSync): WriterStatements {
  return {
    put: db.prepare(
      `INSERT OR REPLACE INTO leases (${COLUMNS}) VALUES (${COLUMNS.replace(/\w+/g, "?")})`,
    ),
    delete: db.prepare("DELETE FROM leases WHERE ip = ?"),
    meta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    saveSeq: db.prepare("INSERT OR REPLACE INTO counters (name, value) VALUES ('seq', ?)"),
  };
}

/**
 * Writes one batch as one transaction (both the main-thread path and the writer thread).
 * IMMEDIATE takes the write lock up front, so a busy database fails here, not mid-batch. A
 * failed COMMIT (e.g. fsync error) may or may not have reached the disk; the caller reports
 * failure so no reply leaves, and at worst a restart shows a binding nobody was told of, which
 * is the safe direction (reliability.md §4.5: sync failure loses durability, not integrity).
 */
export function writeBatch(db: DatabaseSync, st: WriterStatements, rows: readonly BatchRow[]) {
  try {
    db.exec("BEGIN IMMEDIATE");
    for (const r of rows) {
      switch (r[0]) {
        case "put":
          st.put.run(...(r.slice(1) as (string | number)[]));
          break;
        case "delete":
          st.delete.run(r[1]);
          break;
        case "meta":
          st.meta.run(r[1], r[2]);
          break;
        case "seq":
          st.saveSeq.run(r[1]);
          break;
      }
    }
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

/** Opens a writer connection with the same durability settings (for the writer thread). */
export function openWriter(path: string): { db: DatabaseSync; st: WriterStatements } {
  const db = new DatabaseSync(path);
  configure(db, path, 5000);
  return { db, st: prepareWriter(db) };
}

/** The writer thread: one connection, batches in, "committed" out, in order. */
export class WriterThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();
  #nextId = 1;
  /** Settles when the thread has loaded and opened its connection (or failed to). */
  readonly ready: Promise<void>;

  constructor(path: string) {
    this.#worker = new Worker(new URL("../platform/sqlite_writer_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<{ id: number; error?: string }>) => {
      const w = this.#waiting.get(e.data.id);
      this.#waiting.delete(e.data.id);
      if (e.data.error === undefined) w?.resolve();
      else w?.reject(new Error(e.data.error));
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      for (const w of this.#waiting.values()) w.reject(new Error(`writer thread: ${e.message}`));
      this.#waiting.clear();
    };
    this.ready = new Promise((resolve, reject) => this.#waiting.set(0, { resolve, reject }));
    this.#worker.postMessage({ id: 0, kind: "open", path });
  }

  write(rows: readonly BatchRow[]): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, kind: "batch", rows });
    });
  }

  terminate(): void {
    for (const w of this.#waiting.values()) w.reject(new Error("store closed"));
    this.#waiting.clear();
    this.#worker.terminate();
  }
}
