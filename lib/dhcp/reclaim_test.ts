import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emptyLease, type Lease } from "../lease/lease.ts";
import { MemoryLeaseStore } from "../lease/memory_store.ts";
import { reclaimExpired } from "./reclaim.ts";
import { ip } from "../../tests/helpers/test_config.ts";

const NOW = 1_000_000;

function lease(addr: string, over: Partial<Lease>): Lease {
  return { ...emptyLease(ip(addr), 1, "active", 0), clientKey: "hw:01:aa", ...over };
}

Deno.test("reclaimExpired: past-end bindings expire, abandoned past probation are deleted", () => {
  const store = new MemoryLeaseStore();
  store.apply([
    { kind: "put", lease: lease("10.0.0.1", { endSec: NOW - 1 }) },
    { kind: "put", lease: lease("10.0.0.2", { endSec: NOW + 1 }) },
    { kind: "put", lease: lease("10.0.0.3", { state: "abandoned", clientKey: "", endSec: NOW }) },
    {
      kind: "put",
      lease: lease("10.0.0.4", { state: "abandoned", clientKey: "", endSec: NOW + 5 }),
    },
    { kind: "put", lease: lease("10.0.0.5", { state: "released", endSec: NOW - 9 }) },
  ]);
  const ops = reclaimExpired(store, NOW, 10);
  assertEquals(ops.length, 2);
  const [expire, del] = ops;
  assertEquals(
    expire?.kind === "put" &&
      [expire.lease.ip, expire.lease.state, expire.lease.clientKey, expire.lease.startSec],
    [ip("10.0.0.1"), "expired", "hw:01:aa", NOW - 1],
  );
  assertEquals(del, { kind: "delete", ip: ip("10.0.0.3") });
  store.apply(ops);
  assertEquals(reclaimExpired(store, NOW, 10), []);
});

Deno.test("reclaimExpired: at most limit ops per sweep", () => {
  const store = new MemoryLeaseStore();
  for (let i = 1; i <= 5; i++) {
    store.apply([{ kind: "put", lease: lease(`10.0.0.${i}`, { endSec: NOW - i }) }]);
  }
  assertEquals(reclaimExpired(store, NOW, 3).length, 3);
  assertEquals(reclaimExpired(store, NOW, 0), []);
});
