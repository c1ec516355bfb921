/**
 * Gives memory freed at start-up back to the OS: glibc's malloc_trim(3) releases free heap
 * pages (not only the top of the heap) with madvise. Loading 100,000 leases from SQLite
 * mallocs and frees several MiB that glibc would otherwise keep for the life of the process.
 * Called once after boot; a no-op where FFI or glibc is not available (returns false).
 */
export function trimMallocHeap(): boolean {
  let lib: Deno.DynamicLibrary<{ malloc_trim: { parameters: ["usize"]; result: "i32" } }>;
  try {
    lib = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
  } catch {
    return false;
  }
  try {
    return lib.symbols.malloc_trim(0n) === 1;
  } finally {
    lib.close();
  }
}
