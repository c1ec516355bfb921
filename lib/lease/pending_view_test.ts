/**
 * PendingView: decided-but-uncommitted changes shadow the store; byClient merges both sides
 * (a record that moved to another client leaves the old one's list); rebase() cuts a stack
 * of views down to the store once the lower view's changes are committed.
 */
import { deepEqual, equal } from "node:assert/strict";
import { MemoryLeaseStore } from "./memory_store.ts";
import { PendingView } from "./pending_view.ts";
import { del, ip, lease, put } from "../../tests/contracts/lease_store_contract.ts";
import type { LeaseView } from "./store.ts";

const ips = (v: LeaseView, client: string) => v.byClient(client).map((l) => l.ip);

Deno.test("PendingView: puts and deletes shadow the store; byClient merges both", () => {
  const store = new MemoryLeaseStore();
  store.apply([put(lease("10.0.0.1", "a")), put(lease("10.0.0.2", "b"))]);
  const v = new PendingView(store);
  v.add([put(lease("10.0.0.3", "a")), put(lease("10.0.0.2", "a")), del("10.0.0.1")]);
  equal(v.get(ip("10.0.0.1")), undefined);
  equal(v.get(ip("10.0.0.2"))?.clientKey, "a");
  deepEqual(ips(v, "a"), [ip("10.0.0.3"), ip("10.0.0.2")]);
  deepEqual(ips(v, "b"), [], "10.0.0.2 moved to a");
  deepEqual(ips(store, "b"), [ip("10.0.0.2")], "the store is untouched");
  // Moving 10.0.0.3 on to c removes it from a's list.
  v.add([put(lease("10.0.0.3", "c"))]);
  deepEqual(ips(v, "a"), [ip("10.0.0.2")]);
  deepEqual(ips(v, "c"), [ip("10.0.0.3")]);
  equal(v.size(), 2);
});

Deno.test("PendingView: a view stacked on a committing one reads through, then rebases", () => {
  const store = new MemoryLeaseStore();
  const committing = new PendingView(store);
  const ops = [put(lease("10.0.0.5", "x"))];
  committing.add(ops);
  const open = new PendingView(committing);
  open.add([put(lease("10.0.0.6", "y"))]);
  equal(open.get(ip("10.0.0.5"))?.clientKey, "x", "sees the committing group's change");
  store.apply(ops); // the commit lands
  open.rebase(store);
  equal(open.base, store);
  equal(open.get(ip("10.0.0.5"))?.clientKey, "x", "now from the store");
  equal(open.get(ip("10.0.0.6"))?.clientKey, "y");
  deepEqual(ips(open, "x"), [ip("10.0.0.5")]);
});

Deno.test("PendingView.dueForReclaim: the overlay's renewals and deletes win, its own due records count", () => {
  const store = new MemoryLeaseStore();
  const T = 1_700_010_000;
  store.apply([
    put(lease("10.0.0.1", "a", { endSec: T - 5 })), // due
    put(lease("10.0.0.2", "b", { endSec: T - 5 })), // due in the store, renewed in the overlay
    put(lease("10.0.0.3", "c", { endSec: T - 5 })), // due in the store, deleted in the overlay
    put(lease("10.0.0.4", "d", { endSec: T + 5 })), // not due
    put(lease("10.0.0.5", "e", { endSec: T - 5, state: "released" })), // not a due state
    put(lease("10.0.0.6", "", { endSec: T, state: "abandoned" })), // probation over
  ]);
  const v = new PendingView(store);
  v.add([
    put(lease("10.0.0.2", "b", { endSec: T + 3600 })),
    del("10.0.0.3"),
    put(lease("10.0.0.7", "g", { endSec: T - 1 })),
  ]);
  const due = (n: number) => v.dueForReclaim(T, n).map((l) => l.ip).sort((x, y) => x - y);
  deepEqual(due(10), [ip("10.0.0.1"), ip("10.0.0.6"), ip("10.0.0.7")]);
  equal(due(2).length, 2);
  deepEqual(store.dueForReclaim(T, 10).map((l) => l.ip).sort((x, y) => x - y), [
    ip("10.0.0.1"),
    ip("10.0.0.2"),
    ip("10.0.0.3"),
    ip("10.0.0.6"),
  ]);
});

Deno.test("PendingView.forEachState: the overlay's puts and deletes win over the store", () => {
  const store = new MemoryLeaseStore();
  store.apply([
    put(lease("10.0.0.1", "a")),
    put(lease("10.0.0.2", "b")),
    put(lease("10.0.0.3", "c")),
  ]);
  const v = new PendingView(store);
  v.add([
    put(lease("10.0.0.2", "b", { state: "released" })),
    del("10.0.0.3"),
    put(lease("10.0.0.4", "d")),
  ]);
  const seen: string[] = [];
  v.forEachState((a, subnetId, state) => seen.push(`${a - ip("10.0.0.0")}/${subnetId}/${state}`));
  deepEqual(seen.sort(), ["1/1/active", "2/1/released", "4/1/active"]);
  const states = [1, 2, 3, 4, 5].map((n) => v.stateOf(ip(`10.0.0.${n}`)));
  deepEqual(states, ["active", "released", undefined, "active", undefined]);
  equal(store.stateOf(ip("10.0.0.3")), "active");
});
