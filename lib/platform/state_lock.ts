/**
 * One server per state directory: an exclusive flock(2) on `<state_dir>/tandem.lock`, taken
 * before the database is opened or a socket bound, held for the life of the process. The kernel
 * drops it when the process ends, however it ends (kill -9 included), so a stale lock file
 * never blocks a restart. Two servers on one directory would share the lease database and the
 * DHCP port and hand out addresses without seeing each other's offers.
 *
 * flock through libc (Deno FFI, as udp_mmsg.ts): Deno's FsFile.lock() has no non-blocking
 * form, and a second server must refuse at once, not wait. Without FFI (no --allow-ffi, not
 * glibc) the lock is not taken and acquireStateLock says so.
 */

const LOCK_EX = 2;
const LOCK_NB = 4;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_CLOEXEC = 0o2000000;

export const LOCK_FILE = "tandem.lock";

export type LockResult =
  | { readonly ok: true; release(): void }
  | { readonly ok: false; readonly message: string }
  | { readonly ok: "unavailable" };

export function acquireStateLock(stateDir: string): LockResult {
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
      flock: { parameters: ["i32", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
    });
  } catch {
    return { ok: "unavailable" };
  }
  const path = `${stateDir}/${LOCK_FILE}`;
  const cpath = new TextEncoder().encode(path + "\0");
  const fd = lib.symbols.open(cpath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644);
  if (fd < 0) {
    lib.close();
    return { ok: false, message: `cannot open ${path}: check the state directory's permissions` };
  }
  if (lib.symbols.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    lib.symbols.close(fd);
    lib.close();
    let holder = "";
    try {
      const pid = Deno.readTextFileSync(path).trim();
      if (/^\d+$/.test(pid)) holder = ` (pid ${pid})`;
    } catch { /* unreadable: no pid to show */ }
    return {
      ok: false,
      message: `another Tandem server${holder} is running on the state directory ${stateDir}; ` +
        "stop it first, or give this one its own [store] state_dir",
    };
  }
  try {
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
  } catch { /* the lock holds without the pid */ }
  return {
    ok: true,
    release() {
      lib.symbols.close(fd); // closing the descriptor releases the flock
      lib.close();
    },
  };
}
