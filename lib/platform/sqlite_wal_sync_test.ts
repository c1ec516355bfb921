import { equal, rejects, throws } from "node:assert/strict";
import { WalSync } from "./sqlite_wal_sync.ts";

Deno.test("WalSync: syncs the file at its path (also after it was replaced) and fails when it is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-walsync-" });
  const wal = `${dir}/leases.db-wal`;
  const w = new WalSync(wal);
  try {
    await Deno.writeTextFile(wal, "frames");
    await w.sync();
    w.syncNow();
    // A new file at the path (another inode): the next sync opens and syncs that one.
    await Deno.writeTextFile(`${dir}/other`, "new frames");
    await Deno.rename(`${dir}/other`, wal);
    await w.sync();
    equal(await Deno.readTextFile(wal), "new frames");
    await Deno.remove(wal);
    await rejects(() => w.sync(), Deno.errors.NotFound);
    throws(() => w.syncNow(), Deno.errors.NotFound);
  } finally {
    w.close();
    await Deno.remove(dir, { recursive: true });
  }
});
