/**
 * WalSync: makes committed SQLite transactions durable without blocking the event loop.
 *
 * The lease connection runs WAL with `synchronous = NORMAL`: COMMIT appends the transaction's
 * frames to the `-wal` file and returns without an fsync, and SQLite still syncs the WAL before
 * each checkpoint and the database file after it (sqlite.org/pragma.html#pragma_synchronous,
 * sqlite.org/wal.html). After each COMMIT the store calls sync(), an fdatasync(2) of the WAL
 * file run on Deno's blocking-I/O thread, and applies the batch (so replies may leave) only
 * when it returns. fsync flushes the file, not the descriptor: our own read-only descriptor
 * covers every frame SQLite wrote. Together that is the durability of `synchronous = FULL`
 * (which fdatasyncs the WAL inside COMMIT), with the wait off the main thread and no second
 * V8 isolate (a writer Worker cost about 20 MB of RSS). ARCHITECTURE.md invariant 2.
 */
export class WalSync {
  readonly #path: string;
  #file: Deno.FsFile | undefined;
  #ino: number | null = null;

  constructor(walPath: string) {
    this.#path = walPath;
  }

  /** fdatasync of the WAL on the blocking-I/O pool; rejects when the sync fails. */
  async sync(): Promise<void> {
    await this.#current().syncData();
  }

  /** The same, blocking (the synchronous apply() path: tests, tools). */
  syncNow(): void {
    this.#current().syncDataSync();
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /**
   * The descriptor of the WAL file that is at the path now. SQLite reuses one WAL file for the
   * life of the connection and removes it only when the last connection closes; should the
   * file ever be replaced, the inode changes and the new one is opened.
   */
  #current(): Deno.FsFile {
    const ino = Deno.statSync(this.#path).ino;
    if (this.#file === undefined || ino !== this.#ino) {
      this.#file?.close();
      this.#file = Deno.openSync(this.#path, { read: true });
      this.#ino = this.#file.statSync().ino;
    }
    return this.#file;
  }
}
