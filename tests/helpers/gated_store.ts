/**
 * A store whose durable writes wait until the test opens (or fails) each transaction's gate:
 * decided in its index at once (DecidedStore), durable in `durable` only when a gate opens.
 */
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";
import { DecidedStore } from "./decided_store.ts";

type Gate = { ops: readonly LeaseOp[]; opened: boolean; open(): void; fail(): void };

export class GatedStore extends DecidedStore {
  readonly gates: Gate[];
  /** What the gates let through: the "disk". */
  readonly durable: MemoryLeaseStore;

  constructor() {
    const gates: Gate[] = [];
    const durable = new MemoryLeaseStore();
    super((ops) =>
      new Promise((resolve, reject) => {
        const gate: Gate = {
          ops,
          opened: false,
          open: () => {
            gate.opened = true;
            durable.apply(ops);
            resolve();
          },
          fail: () => reject(new Error("I/O error")),
        };
        gates.push(gate);
      })
    );
    this.gates = gates;
    this.durable = durable;
  }
}
