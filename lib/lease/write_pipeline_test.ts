/**
 * WritePipeline: one transaction at a time, later decisions grouped behind it, every writer
 * reading decided-but-uncommitted changes (so a write based on an old version cannot land after
 * a newer one), and a failure taking down what was decided on top of it.
 */
import { GatedStore } from "../../tests/helpers/gated_store.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { StoreError } from "./store.ts";
import { PipelineStore, WritePipeline } from "./write_pipeline.ts";
import { ip, lease, put } from "../../tests/contracts/lease_store_contract.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const store = new GatedStore();
  const log: string[] = [];
  const pipeline = new WritePipeline(store, {
    nowMs: () => 0,
    committed: (w) => log.push(`ok ${w}`),
    failed: (_e, w) => log.push(`failed ${w}`),
  });
  return { store, pipeline, facade: new PipelineStore(pipeline), log };
}

Deno.test("pipeline: one transaction at a time; what comes meanwhile is one group", async () => {
  const { store, pipeline, log } = setup();
  const a = pipeline.add([put(lease("10.0.0.1", "a"))], 1);
  pipeline.kick();
  const b = pipeline.add([put(lease("10.0.0.2", "b"))], 1);
  pipeline.kick();
  const c = pipeline.add([put(lease("10.0.0.3", "c"))], 1);
  pipeline.kick();
  equal(store.gates.length, 1, "b and c wait for a");
  equal(b, c, "b and c share a group");
  store.gates[0]!.open();
  await a;
  await tick();
  equal(store.gates.length, 2);
  equal(store.gates[1]!.ops.length, 2);
  store.gates[1]!.open();
  await b;
  deepEqual(log, ["ok 1", "ok 2"]);
  equal(store.size(), 3);
  ok(pipeline.idle);
});

Deno.test("pipeline: readers see decided changes; pending() until they are committed", async () => {
  const { store, facade } = setup();
  store.apply([put(lease("10.0.0.1", "a", { endSec: 100 }))]);
  const renewal = facade.commit([put(lease("10.0.0.1", "a", { endSec: 900 }))]);
  equal(facade.get(ip("10.0.0.1"))?.endSec, 900, "the renewal, though not committed");
  equal(store.get(ip("10.0.0.1"))?.endSec, 100);
  ok(facade.pending(ip("10.0.0.1")));
  equal(facade.pending(ip("10.0.0.2")), false);
  // A second writer builds on what it reads: the renewal survives.
  const l = facade.get(ip("10.0.0.1"))!;
  const bookkeeping = facade.commit([put({ ...l, pendingUpdate: false })]);
  store.gates[0]!.open();
  await renewal;
  await tick();
  store.gates[1]!.open();
  await bookkeeping;
  equal(store.get(ip("10.0.0.1"))?.endSec, 900);
  equal(facade.pending(ip("10.0.0.1")), false);
});

Deno.test("pipeline: a failed transaction fails the group decided on top of it", async () => {
  const { store, pipeline, log } = setup();
  const first = pipeline.add([put(lease("10.0.0.1", "a"))], 2);
  pipeline.kick();
  const second = pipeline.add([put(lease("10.0.0.2", "b"))], 3);
  store.gates[0]!.fail();
  await rejects(first);
  await rejects(second);
  deepEqual(log, ["failed 5"]);
  equal(store.size(), 0);
  ok(pipeline.idle);
  equal(pipeline.view.get(ip("10.0.0.2")), undefined, "the dropped decision is gone");
  const third = pipeline.add([put(lease("10.0.0.3", "c"))], 1);
  pipeline.kick();
  store.gates[1]!.open();
  await third;
  equal(store.size(), 1);
});

Deno.test("PipelineStore: writes only through commit(), never beside the pipeline", async () => {
  const { store, facade } = setup();
  throws(() => facade.apply([put(lease("10.0.0.9", "z"))]), StoreError);
  equal(store.size(), 0);
  const done = facade.commit([put(lease("10.0.0.9", "z"))]);
  equal(facade.get(ip("10.0.0.9"))?.clientKey, "z", "decided: visible to readers at once");
  store.gates[0]!.open();
  await done;
  equal(store.size(), 1);
});

Deno.test("pipeline: an illegal binding-status move is refused whole, nothing of it added", async () => {
  const { store, pipeline, facade } = setup();
  const abandoned = { ...lease("10.0.0.9", "a"), state: "abandoned" as const };
  const first = pipeline.add([put(abandoned)]);
  pipeline.kick();
  store.gates[0]!.open();
  await first;
  // ABANDONED -> ACTIVE skips RESET (Figure 5.11-1 note 3): a bug, refused before it is decided.
  const other = put(lease("10.0.0.10", "b"));
  throws(() => pipeline.add([other, put(lease("10.0.0.9", "c"))]), /abandoned -> active/);
  equal(facade.get(ip("10.0.0.10")), undefined, "the legal op of the refused call is not added");
  await rejects(facade.commit([put(lease("10.0.0.9", "c"))]), /not a legal move/);
  // The partner's accepted RESET, then the owner's state: legal.
  const reset = { ...abandoned, state: "reset" as const };
  pipeline.add([{ kind: "put", lease: reset, by: "partner" }]);
  equal(facade.get(ip("10.0.0.9"))?.state, "reset");
});
