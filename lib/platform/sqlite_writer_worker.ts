/**
 * The lease store's writer thread (SqliteLeaseStore with writerThread): it owns one SQLite
 * connection and commits each batch it is sent, in order, answering only after COMMIT (and so
 * the fsync) returned. The main thread keeps serving the socket meanwhile.
 */
import type { DatabaseSync } from "node:sqlite";
import {
  type BatchRow,
  openWriter,
  writeBatch,
  type WriterStatements,
} from "../lease/sqlite_writer.ts";

type Msg =
  | { id: number; kind: "open"; path: string }
  | { id: number; kind: "batch"; rows: BatchRow[] };

/** The worker global, typed (the default lib types `self` as a window). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Msg>) => void) | null;
  postMessage(m: { id: number; error?: string }): void;
};

let conn: { db: DatabaseSync; st: WriterStatements } | undefined;
let openError: string | undefined;

scope.onmessage = (e: MessageEvent<Msg>) => {
  const m = e.data;
  if (m.kind === "open") {
    try {
      conn = openWriter(m.path);
      scope.postMessage({ id: m.id });
    } catch (err) {
      openError = String(err);
      scope.postMessage({ id: m.id, error: `writer not open: ${openError}` });
    }
    return;
  }
  if (conn === undefined) {
    scope.postMessage({ id: m.id, error: `writer not open: ${openError ?? "unknown"}` });
    return;
  }
  try {
    writeBatch(conn.db, conn.st, m.rows);
    scope.postMessage({ id: m.id });
  } catch (err) {
    scope.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
