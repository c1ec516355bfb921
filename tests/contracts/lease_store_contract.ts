/**
 * The LeaseStore contract (ARCHITECTURE.md: every interface with two implementations has one
 * contract suite run against both). Each case gets a fresh store from make().
 */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  BINDING_STATES,
  type BindingState,
  emptyLease,
  type Lease,
} from "../../lib/lease/lease.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";
import { type LeaseStore, StoreError } from "../../lib/lease/store.ts";
import { type Ipv4, parseIpv4 } from "../../lib/wire/ipv4.ts";

export function ip(text: string): Ipv4 {
  const a = parseIpv4(text);
  if (a === undefined) throw new Error(`bad test address ${text}`);
  return a;
}

/** An active lease of ip to client, in subnet 1 unless overridden. */
export function lease(addr: string, client: string, over: Partial<Lease> = {}): Lease {
  return {
    ...emptyLease(ip(addr), 1, "active", 1_700_000_000),
    clientKey: client,
    hwType: 1,
    hwAddr: client === "" ? "" : `0011223344${client.slice(-2).padStart(2, "0")}`,
    clientId: "",
    hostname: `host-${client}`,
    endSec: 1_700_003_600,
    clttSec: 1_700_000_000,
    ...over,
  };
}

export const put = (l: Lease): LeaseOp => ({ kind: "put", lease: l });
export const del = (addr: string): LeaseOp => ({ kind: "delete", ip: ip(addr) });

function counts(over: Partial<Record<BindingState, number>>): Record<BindingState, number> {
  const c = Object.fromEntries(BINDING_STATES.map((s) => [s, 0])) as Record<BindingState, number>;
  return { ...c, ...over };
}

function addrs(ls: Iterable<Lease>): string[] {
  return [...ls].map((l) =>
    [l.ip >>> 24, (l.ip >>> 16) & 255, (l.ip >>> 8) & 255, l.ip & 255].join(".")
  );
}

export function runLeaseStoreContract(name: string, make: () => LeaseStore): void {
  const test = (what: string, fn: (s: LeaseStore) => void) =>
    Deno.test(`${name}: ${what}`, () => {
      const s = make();
      try {
        fn(s);
      } finally {
        s.close();
      }
    });

  test("a new store is empty", (s) => {
    equal(s.size(), 0);
    equal(s.get(ip("10.0.0.1")), undefined);
    deepStrictEqual([...s.all()], []);
    deepStrictEqual(s.byClient("c1"), []);
    equal(s.hold(ip("10.0.0.1")), undefined);
    equal(s.meta("failover.state"), undefined);
    deepStrictEqual({ ...s.countByState(1) }, counts({}));
    deepStrictEqual(s.changedSince(0), []);
  });

  test("put then get returns the record with the store's seq", (s) => {
    const l = lease("10.0.0.5", "c1", { seq: 999, pendingUpdate: true, relayInfo: "0104aabb" });
    s.apply([put(l)]);
    deepStrictEqual(s.get(l.ip), { ...l, seq: 1 });
    equal(s.size(), 1);
  });

  test("a put replaces the whole record and stores only Lease fields", (s) => {
    s.apply([put(lease("10.0.0.5", "c1", { hostname: "a" }))]);
    const extra = { ...lease("10.0.0.5", "c1", { hostname: "b" }), junk: 1 } as Lease;
    s.apply([put(extra)]);
    equal(s.size(), 1);
    equal(s.get(ip("10.0.0.5"))?.hostname, "b");
    equal("junk" in (s.get(ip("10.0.0.5")) ?? {}), false);
  });

  test("seq grows by one per put and per delete, not per hold or meta", (s) => {
    s.apply([put(lease("10.0.0.1", "c1")), put(lease("10.0.0.2", "c2"))]);
    equal(s.get(ip("10.0.0.1"))?.seq, 1);
    equal(s.get(ip("10.0.0.2"))?.seq, 2);
    s.apply([
      { kind: "hold", ip: ip("10.0.0.9"), clientKey: "c9", untilSec: 5 },
      { kind: "meta", key: "k", value: "v" },
      del("10.0.0.2"),
      del("10.0.0.77"),
    ]);
    s.apply([put(lease("10.0.0.1", "c1"))]);
    equal(s.get(ip("10.0.0.1"))?.seq, 5);
  });

  test("delete removes the record; deleting an absent address is harmless", (s) => {
    s.apply([put(lease("10.0.0.1", "c1")), put(lease("10.0.0.2", "c1"))]);
    s.apply([del("10.0.0.1"), del("10.0.0.200")]);
    equal(s.get(ip("10.0.0.1")), undefined);
    equal(s.size(), 1);
    deepStrictEqual(addrs(s.byClient("c1")), ["10.0.0.2"]);
  });

  test("ops of one batch apply in order", (s) => {
    s.apply([put(lease("10.0.0.1", "c1")), del("10.0.0.1")]);
    equal(s.get(ip("10.0.0.1")), undefined);
    s.apply([del("10.0.0.2"), put(lease("10.0.0.2", "c2"))]);
    equal(s.get(ip("10.0.0.2"))?.clientKey, "c2");
    s.apply([
      put(lease("10.0.0.3", "c3", { state: "active" })),
      put(lease("10.0.0.3", "c3", { state: "released" })),
    ]);
    equal(s.get(ip("10.0.0.3"))?.state, "released");
    deepStrictEqual({ ...s.countByState(1) }, counts({ active: 1, released: 1 }));
  });

  test("byClient lists a client's records, most recently changed first", (s) => {
    s.apply([
      put(lease("10.0.0.3", "c1")),
      put(lease("10.0.0.1", "c1")),
      put(lease("10.0.0.2", "c2")),
    ]);
    deepStrictEqual(addrs(s.byClient("c1")), ["10.0.0.1", "10.0.0.3"]);
    s.apply([put(lease("10.0.0.3", "c1", { state: "expired" }))]);
    deepStrictEqual(addrs(s.byClient("c1")), ["10.0.0.3", "10.0.0.1"]);
    deepStrictEqual(addrs(s.byClient("c2")), ["10.0.0.2"]);
    deepStrictEqual(s.byClient("nobody"), []);
  });

  test("byClient re-keys a record that moves to another client or to none", (s) => {
    s.apply([put(lease("10.0.0.1", "c1")), put(lease("10.0.0.2", "c1"))]);
    s.apply([put(lease("10.0.0.1", "c2"))]);
    deepStrictEqual(addrs(s.byClient("c1")), ["10.0.0.2"]);
    deepStrictEqual(addrs(s.byClient("c2")), ["10.0.0.1"]);
    s.apply([put(emptyLease(ip("10.0.0.2"), 1, "free", 0))]);
    deepStrictEqual(s.byClient("c1"), []);
    deepStrictEqual(s.byClient(""), [], "the empty key means no client");
    s.apply([put(lease("10.0.0.2", "c1"))]);
    deepStrictEqual(addrs(s.byClient("c1")), ["10.0.0.2"]);
  });

  test("holds are set, replaced and dropped without touching records or seq", (s) => {
    const a = ip("10.0.0.7");
    s.apply([{ kind: "hold", ip: a, clientKey: "c1", untilSec: 100 }]);
    deepStrictEqual(s.hold(a), { ip: a, clientKey: "c1", untilSec: 100 });
    equal(s.size(), 0);
    s.apply([{ kind: "hold", ip: a, clientKey: "c2", untilSec: 200 }]);
    deepStrictEqual(s.hold(a), { ip: a, clientKey: "c2", untilSec: 200 });
    s.apply([put(lease("10.0.0.7", "c2"))]);
    ok(s.hold(a) !== undefined, "a put does not drop the hold; the caller unholds");
    equal(s.get(a)?.seq, 1);
    s.apply([{ kind: "unhold", ip: a }, { kind: "unhold", ip: ip("10.0.0.8") }]);
    equal(s.hold(a), undefined);
  });

  test("meta values are stored and overwritten", (s) => {
    s.apply([{ kind: "meta", key: "failover.state", value: "normal" }, {
      kind: "meta",
      key: "x",
      value: "",
    }]);
    equal(s.meta("failover.state"), "normal");
    equal(s.meta("x"), "");
    s.apply([{ kind: "meta", key: "failover.state", value: "partner-down" }]);
    equal(s.meta("failover.state"), "partner-down");
    equal(s.size(), 0);
  });

  test("countByState follows state changes, deletes and moves between subnets", (s) => {
    s.apply([
      put(lease("10.0.0.1", "c1")),
      put(lease("10.0.0.2", "c2")),
      put(emptyLease(ip("10.0.0.3"), 1, "free", 0)),
      put(emptyLease(ip("10.0.1.1"), 2, "backup", 0)),
    ]);
    deepStrictEqual({ ...s.countByState(1) }, counts({ active: 2, free: 1 }));
    deepStrictEqual({ ...s.countByState(2) }, counts({ backup: 1 }));
    s.apply([put(lease("10.0.0.1", "c1", { state: "expired" })), del("10.0.0.3")]);
    deepStrictEqual({ ...s.countByState(1) }, counts({ active: 1, expired: 1 }));
    s.apply([put(lease("10.0.0.2", "c2", { subnetId: 2, state: "abandoned" }))]);
    deepStrictEqual({ ...s.countByState(1) }, counts({ expired: 1 }));
    deepStrictEqual({ ...s.countByState(2) }, counts({ backup: 1, abandoned: 1 }));
    s.apply([del("10.0.0.1"), del("10.0.0.2"), del("10.0.1.1")]);
    deepStrictEqual({ ...s.countByState(1) }, counts({}));
    deepStrictEqual({ ...s.countByState(2) }, counts({}));
    deepStrictEqual({ ...s.countByState(42) }, counts({}));
  });

  test("countByState returns a snapshot, not a live object", (s) => {
    s.apply([put(lease("10.0.0.1", "c1"))]);
    const before = s.countByState(1);
    s.apply([put(lease("10.0.0.2", "c2"))]);
    equal(before.active, 1);
    equal(s.countByState(1).active, 2);
  });

  test("all() is in address order, unsigned, after inserts and deletes", (s) => {
    s.apply([
      put(lease("192.168.0.1", "a")),
      put(lease("10.0.0.9", "b")),
      put(lease("255.255.255.254", "c")),
      put(lease("10.0.0.10", "d")),
      put(lease("0.0.0.1", "e")),
    ]);
    deepStrictEqual(addrs(s.all()), [
      "0.0.0.1",
      "10.0.0.9",
      "10.0.0.10",
      "192.168.0.1",
      "255.255.255.254",
    ]);
    s.apply([
      del("10.0.0.9"),
      put(lease("10.0.0.8", "f")),
      put(lease("10.0.0.10", "d", { state: "released" })),
    ]);
    deepStrictEqual(addrs(s.all()), [
      "0.0.0.1",
      "10.0.0.8",
      "10.0.0.10",
      "192.168.0.1",
      "255.255.255.254",
    ]);
    equal(s.size(), 5);
  });

  test("changedSince lists each record once, latest seq, in seq order", (s) => {
    s.apply([
      put(lease("10.0.0.1", "a")),
      put(lease("10.0.0.2", "b")),
      put(lease("10.0.0.3", "c")),
    ]);
    s.apply([put(lease("10.0.0.1", "a", { state: "released" })), del("10.0.0.2")]);
    deepStrictEqual(s.changedSince(0).map((l) => [l.seq, l.ip]), [[3, ip("10.0.0.3")], [
      4,
      ip("10.0.0.1"),
    ]]);
    deepStrictEqual(s.changedSince(3).map((l) => l.seq), [4]);
    deepStrictEqual(s.changedSince(5), []);
    s.apply([put(lease("10.0.0.2", "b"))]);
    deepStrictEqual(s.changedSince(4).map((l) => l.seq), [6]);
  });

  test("changedSince stays right after many rewrites of few records", (s) => {
    for (let i = 0; i < 500; i++) {
      s.apply([put(lease(`10.0.0.${1 + (i % 3)}`, "c", { endSec: i }))]);
    }
    deepStrictEqual(s.changedSince(0).map((l) => l.seq), [498, 499, 500]);
    deepStrictEqual(s.changedSince(499).map((l) => l.endSec), [499]);
  });

  test("a batch with an invalid op is rejected whole, with StoreError", (s) => {
    s.apply([put(lease("10.0.0.1", "c1")), { kind: "meta", key: "k", value: "old" }]);
    const bad: LeaseOp[][] = [
      [
        put(lease("10.0.0.2", "c2")),
        put(lease("10.0.0.3", "c3", { state: "bogus" as BindingState })),
      ],
      [del("10.0.0.1"), { kind: "delete", ip: -1 as Ipv4 }],
      [
        { kind: "meta", key: "k", value: "new" },
        put(lease("10.0.0.4", "c4", { ip: 2 ** 32 as Ipv4 })),
      ],
      [put(lease("10.0.0.2", "c2")), put(lease("10.0.0.5", "c5", { endSec: Number.NaN }))],
      [
        { kind: "hold", ip: ip("10.0.0.6"), clientKey: "c6", untilSec: 1 },
        { kind: "bogus" } as unknown as LeaseOp,
      ],
    ];
    for (const ops of bad) throws(() => s.apply(ops), StoreError);
    equal(s.size(), 1);
    equal(s.meta("k"), "old");
    equal(s.hold(ip("10.0.0.6")), undefined);
    deepStrictEqual(addrs(s.all()), ["10.0.0.1"]);
    s.apply([put(lease("10.0.0.2", "c2"))]);
    equal(s.get(ip("10.0.0.2"))?.seq, 2, "a rejected batch consumes no seq");
  });

  test("an empty batch changes nothing", (s) => {
    s.apply([]);
    equal(s.size(), 0);
    s.apply([put(lease("10.0.0.1", "c1"))]);
    s.apply([]);
    equal(s.get(ip("10.0.0.1"))?.seq, 1);
  });
}
