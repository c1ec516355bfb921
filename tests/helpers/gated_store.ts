/** A memory lease store whose commit() waits until the test opens (or fails) its gate. */
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";

export class GatedStore extends MemoryLeaseStore {
  readonly gates: { ops: readonly LeaseOp[]; open(): void; fail(): void }[] = [];
  override commit(ops: readonly LeaseOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gates.push({
        ops,
        open: () => {
          this.apply(ops);
          resolve();
        },
        fail: () => reject(new Error("I/O error")),
      });
    });
  }
}
