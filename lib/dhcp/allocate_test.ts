import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { SubnetConfig } from "../config/config.ts";
import { emptyLease, type Lease } from "../lease/lease.ts";
import type { LeaseView } from "../lease/store.ts";
import { formatIpv4, type Ipv4, ipv4 } from "../wire/ipv4.ts";
import { hex, ip, makeConfig, pool, reservation, subnet } from "../../tests/helpers/test_config.ts";
import { testContext } from "../../tests/helpers/test_client.ts";
import { addressVerdict, allocate } from "./allocate.ts";
import type { ClientIdentity } from "./request.ts";
import type { ServingScope } from "./scope.ts";
import { STANDALONE_SCOPE } from "./scope.ts";

const NOW = 1_700_000_000;

function who(n: number, clientId?: string): ClientIdentity {
  const hw = hex(`02000000${n.toString(16).padStart(4, "0")}`);
  return {
    clientKey: clientId === undefined
      ? `hw:01:${[...hw].map((b) => b.toString(16).padStart(2, "0")).join("")}`
      : `id:${clientId}`,
    htype: 1,
    hwAddr: hw,
    clientId: clientId === undefined ? undefined : hex(clientId),
  };
}

function bound(addr: string | Ipv4, c: ClientIdentity, over: Partial<Lease> = {}): Lease {
  const a = typeof addr === "string" ? ip(addr) : addr;
  return {
    ...emptyLease(a, 1, "active", NOW - 100),
    clientKey: c.clientKey,
    endSec: NOW + 100,
    ...over,
  };
}

const NET: SubnetConfig = subnet(1, "10.0.0.0/24", {
  direct: true,
  pools: [pool("10.0.0.100", "10.0.0.109", { exclude: ["10.0.0.105"] })],
  reservations: [
    reservation("10.0.0.50", { mac: "02:00:00:00:00:07" }),
    reservation("10.0.0.101", { clientId: "ff99" }),
  ],
});

function ctx(leases: Lease[] = [], scope: ServingScope = STANDALONE_SCOPE) {
  const c = testContext({ config: makeConfig({ subnets: [NET] }), nowSec: NOW, scope });
  c.store.apply(leases.map((lease) => ({ kind: "put" as const, lease })));
  return c;
}

Deno.test("allocate order: binding > reservation > requested > previous > pool", () => {
  const me = who(7); // has the 10.0.0.50 reservation
  const c = ctx([bound("10.0.0.103", me)]);
  assertEquals(allocate(me, NET, ip("10.0.0.104"), c)?.source, "binding");
  const noBinding = ctx([bound("10.0.0.103", me, { state: "released", endSec: NOW - 5 })]);
  const r = allocate(me, NET, ip("10.0.0.104"), noBinding);
  assertEquals([r?.ip, r?.source, r?.reservation?.ip], [
    ip("10.0.0.50"),
    "reservation",
    ip("10.0.0.50"),
  ]);
  const other = who(8);
  const prev = ctx([bound("10.0.0.103", other, { state: "expired", endSec: NOW - 5 })]);
  assertEquals(allocate(other, NET, ip("10.0.0.104"), prev)?.source, "requested");
  const p = allocate(other, NET, undefined, prev);
  assertEquals([p?.ip, p?.source], [ip("10.0.0.103"), "previous"]);
  const fresh = allocate(who(9), NET, undefined, prev);
  assertEquals(fresh?.source, "pool");
  assert(fresh?.pool === NET.pools[0]);
});

Deno.test("previous address recorded by chaddr alone (ISC dhcpd FREE without client-uid)", () => {
  const byHw = who(11);
  const withId = who(11, "01020000000011"); // the same chaddr, now sending option 61
  const c = ctx([bound("10.0.0.106", byHw, { state: "free", endSec: 0, clientId: "" })]);
  const p = allocate(withId, NET, undefined, c);
  assertEquals([p?.ip, p?.source], [ip("10.0.0.106"), "previous"]);
  // A record made under another client identifier is that client's, not this one's.
  const otherId = ctx([
    bound("10.0.0.106", byHw, { state: "free", endSec: 0, clientId: "01ffffffffffff" }),
  ]);
  assertEquals(allocate(withId, NET, undefined, otherId)?.source, "pool");
});

Deno.test("addressVerdict: the refusals", () => {
  const me = who(1);
  const other = who(2);
  const c = ctx([
    bound("10.0.0.102", other),
    bound("10.0.0.103", other, { state: "abandoned", clientKey: "", endSec: NOW + 10 }),
    bound("10.0.0.104", other, { state: "abandoned", clientKey: "", endSec: NOW }),
  ]);
  c.store.apply([{
    kind: "hold",
    ip: ip("10.0.0.106"),
    clientKey: other.clientKey,
    untilSec: NOW + 1,
  }]);
  c.store.apply([{
    kind: "hold",
    ip: ip("10.0.0.107"),
    clientKey: other.clientKey,
    untilSec: NOW,
  }]);
  const v = (a: string) => {
    const r = addressVerdict(ip(a), me, NET, c);
    return r.ok ? "ok" : r.refusal;
  };
  assertEquals(v("10.1.0.100"), "wrong-subnet");
  assertEquals(v("10.0.0.99"), "not-in-pool");
  assertEquals(v("10.0.0.105"), "excluded");
  assertEquals(v("10.0.0.101"), "reserved-for-other");
  assertEquals(v("10.0.0.50"), "reserved-for-other");
  assertEquals(v("10.0.0.102"), "bound-to-other");
  assertEquals(v("10.0.0.103"), "abandoned");
  assertEquals(v("10.0.0.104"), "abandoned", "probation over, not yet swept back");
  assertEquals(v("10.0.0.106"), "held-by-other");
  assertEquals(v("10.0.0.107"), "ok", "hold lapsed");
  assertEquals(v("10.0.0.108"), "ok");
  assertEquals(addressVerdict(ip("10.0.0.101"), who(3, "ff99"), NET, c).ok, true);
});

Deno.test("allocate respects the serving scope (a secondary allocates only BACKUP)", () => {
  const backupOdd: ServingScope = {
    ...STANDALONE_SCOPE,
    defaultState: (a) => ((a & 1) === 1 ? "backup" : "free"),
    mayAllocate: (state) => state === "backup",
  };
  const c = ctx([], backupOdd);
  for (let n = 0; n < 20; n++) {
    const a = allocate(who(n), NET, ip("10.0.0.104"), c);
    assert(a !== undefined && (a.ip & 1) === 1, "odd addresses only");
  }
  const none: ServingScope = { ...STANDALONE_SCOPE, mayAllocate: () => false };
  assertEquals(allocate(who(1), NET, undefined, ctx([], none)), undefined);
});

Deno.test("pool scan: another client's expired address only when nothing untouched is left, oldest first", () => {
  const small = subnet(1, "10.0.0.0/24", { pools: [pool("10.0.0.10", "10.0.0.13")] });
  const c = testContext({ config: makeConfig({ subnets: [small] }), nowSec: NOW });
  c.store.apply([
    { kind: "put", lease: bound("10.0.0.10", who(1), { state: "released", endSec: NOW - 50 }) },
    { kind: "put", lease: bound("10.0.0.11", who(2), { endSec: NOW - 80 }) }, // active, past end
    { kind: "put", lease: bound("10.0.0.12", who(3), { state: "expired", endSec: NOW - 10 }) },
  ]);
  assertEquals(allocate(who(9), small, undefined, c)?.ip, ip("10.0.0.13"));
  c.store.apply([{ kind: "put", lease: bound("10.0.0.13", who(4)) }]);
  assertEquals(allocate(who(9), small, undefined, c)?.ip, ip("10.0.0.11"));
});

Deno.test("pool scans are next fit: neighbouring addresses from the cursor, wrapping once", () => {
  const c = ctx();
  const cursor = new Map<number, number>();
  const got: string[] = [];
  for (let n = 0; n < 4; n++) {
    const a = allocate(who(20 + n), NET, undefined, { ...c, poolCursor: cursor });
    assert(a?.nextScan !== undefined);
    cursor.set(NET.id, a.nextScan);
    c.store.apply([{ kind: "put", lease: bound(a.ip, who(20 + n)) }]);
    got.push(formatIpv4(a.ip));
  }
  // .100 and .101 (reserved for a client id), .105 excluded: skipped, not taken.
  assertEquals(got, ["10.0.0.100", "10.0.0.102", "10.0.0.103", "10.0.0.104"]);
  // A cursor at the last pool offset wraps to the start of the pool.
  c.store.apply([{ kind: "delete", ip: ip("10.0.0.100") }]);
  const wrapped = allocate(who(30), NET, undefined, { ...c, poolCursor: new Map([[1, 9]]) });
  assertEquals(formatIpv4(wrapped!.ip), "10.0.0.109");
  const after = allocate(who(31), NET, undefined, { ...c, poolCursor: new Map([[1, 10]]) });
  assertEquals(formatIpv4(after!.ip), "10.0.0.100");
});

Deno.test("a retransmitted DISCOVER gets the address already held for the client", () => {
  const c = ctx();
  c.store.apply([{
    kind: "hold",
    ip: ip("10.0.0.107"),
    clientKey: who(40).clientKey,
    untilSec: NOW + 5,
  }]);
  const again = allocate(who(40), NET, undefined, c);
  assertEquals([formatIpv4(again!.ip), again!.source], ["10.0.0.107", "held"]);
  // Another client is not offered it while the hold lasts.
  assert(allocate(who(41), NET, undefined, c)?.ip !== ip("10.0.0.107"));
  c.store.apply([{ kind: "unhold", ip: ip("10.0.0.107") }]);
  assertEquals(c.store.heldFor(who(40).clientKey), undefined);
});

/** Counts address lookups, to show a scan stops early. */
function counting(view: LeaseView): LeaseView & { gets: number } {
  const counter = {
    gets: 0,
    get: (a: Ipv4) => {
      counter.gets++;
      return view.get(a);
    },
    byClient: (k: string) => view.byClient(k),
    hold: (a: Ipv4) => view.hold(a),
    stateOf: (a: Ipv4) => view.stateOf(a),
    heldFor: (k: string) => view.heldFor(k),
    all: () => view.all(),
    size: () => view.size(),
    meta: (k: string) => view.meta(k),
    countByState: (s: number) => view.countByState(s),
    dueForReclaim: (t: number, n: number) => view.dueForReclaim(t, n),
    forEachState: (fn: Parameters<LeaseView["forEachState"]>[0]) => view.forEachState(fn),
  };
  return counter;
}

Deno.test("a /16 pool with many leases is not scanned whole per allocation", () => {
  const big = subnet(1, "10.2.0.0/16", { pools: [pool("10.2.0.1", "10.2.255.254")] });
  const c = testContext({ config: makeConfig({ subnets: [big] }), nowSec: NOW });
  const leases = [];
  // Every other address is bound: 32767 leases spread over the whole pool.
  for (let a = ip("10.2.0.1"); a <= ip("10.2.255.254"); a = ipv4(a + 2)) {
    leases.push({ kind: "put" as const, lease: bound(a, who(a & 0xffff), { subnetId: 1 }) });
  }
  c.store.apply(leases);
  const view = counting(c.store);
  const poolCursor = new Map<number, number>();
  const seen = new Set<number>();
  for (let n = 0; n < 50; n++) {
    const client = who(n, `ee${n.toString(16).padStart(4, "0")}`);
    const a = allocate(client, big, undefined, { ...c, leases: view, poolCursor });
    assert(a?.nextScan !== undefined && c.store.get(a.ip) === undefined);
    poolCursor.set(big.id, a.nextScan);
    c.store.apply([{ kind: "put", lease: bound(a.ip, client, { subnetId: 1 }) }]);
    seen.add(a.ip);
  }
  assert(view.gets < 50 * 5, `${view.gets} lookups for 50 allocations`);
  assertEquals(seen.size, 50);
});

Deno.test("a pool every address of which was used before costs a bounded scan per allocation", () => {
  const big = subnet(1, "10.3.0.0/16", { pools: [pool("10.3.0.1", "10.3.15.254")] });
  const c = testContext({ config: makeConfig({ subnets: [big] }), nowSec: NOW });
  const leases = [];
  // 4094 addresses, each another client's expired lease, ended at scattered times.
  for (let a = ip("10.3.0.1"); a <= ip("10.3.15.254"); a = ipv4(a + 1)) {
    const endSec = NOW - 1000 - ((a * 7919) % 5000);
    leases.push({
      kind: "put" as const,
      lease: bound(a, who(a & 0xffff), { subnetId: 1, state: "expired", endSec }),
    });
  }
  c.store.apply(leases);
  const view = counting(c.store);
  const poolCursor = new Map<number, number>();
  for (let n = 0; n < 20; n++) {
    const client = who(0x4000 + n, `dd${n.toString(16).padStart(4, "0")}`); // chaddr unused
    const a = allocate(client, big, undefined, { ...c, leases: view, poolCursor });
    assert(a?.nextScan !== undefined, "a reusable address is found");
    assertEquals(c.store.get(a.ip)?.state, "expired");
    poolCursor.set(big.id, a.nextScan);
    c.store.apply([{ kind: "put", lease: bound(a.ip, client, { subnetId: 1 }) }]);
  }
  // Without the window each allocation would look at all 4094 addresses.
  assert(view.gets < 20 * 300, `${view.gets} lookups for 20 allocations`);
});

Deno.test("a pool a whole scan found empty is not scanned again until the next second", () => {
  const c = ctx();
  let lookups = 0;
  const counting: LeaseView = new Proxy(c.store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "get" || prop === "stateOf") {
        return (ip: Ipv4) => {
          lookups++;
          return (v as (ip: Ipv4) => unknown).call(target, ip);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const full = new Map([[NET.id, NOW + 1]]);
  const none = allocate(who(50), NET, undefined, { ...c, leases: counting, poolFullUntil: full });
  assertEquals(none, undefined, "nothing offered while the pool is known full");
  assert(lookups < 5, `no scan: ${lookups} lookups`);
  // Two seconds on, the pool is scanned again (an address may have come free).
  const later = allocate(who(50), NET, undefined, { ...c, nowSec: NOW + 2, poolFullUntil: full });
  assert(later !== undefined);
});
