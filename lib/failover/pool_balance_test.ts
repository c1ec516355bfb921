import { equal, ok } from "node:assert/strict";
import { emptyLease, type Lease } from "../lease/lease.ts";
import type { Hold } from "../lease/store.ts";
import { type Ipv4, parseIpv4 } from "../wire/ipv4.ts";
import { pairConfig } from "../../tests/helpers/pair_harness.ts";
import { planPoolBalance } from "./pool_balance.ts";
import { defaultOwnerOf, secondaryShareOf } from "./serving.ts";

// pair_harness: one pool 192.0.2.10-109 (100 addresses), hot-standby, reserve_percent = 20.
const config = pairConfig("primary");
const fo = config.failover!;
const pool = config.subnets[0]!.pools;
const first = parseIpv4("192.0.2.10")!;
const NOW = 1_800_000_000;

function leases(map: Map<number, Lease>, holds = new Set<number>()) {
  return {
    stateOf: (ip: Ipv4) => map.get(ip)?.state,
    hold: (ip: Ipv4): Hold | undefined =>
      holds.has(ip) ? { ip, clientKey: "x", untilSec: NOW + 10 } : undefined,
  };
}

function active(ip: Ipv4): Lease {
  return { ...emptyLease(ip, 1, "active", NOW), clientKey: `hw:01:${ip}`, endSec: NOW + 600 };
}

Deno.test("pool balance: a pool at its default split moves nothing", () => {
  const plan = planPoolBalance(config.subnets, fo, leases(new Map()), NOW);
  equal(plan.moves.length, 0);
  equal(plan.pools[0]!.secondaryAvailable, 20);
  equal(plan.pools[0]!.primaryAvailable, 80);
  equal(plan.pools[0]!.target, 20);
});

Deno.test("pool balance: a drained BACKUP reserve is refilled from FREE, spread, never from BACKUP", () => {
  const map = new Map<number, Lease>();
  // Clients hold every address of the secondary's default reserve.
  for (let i = 0; i < 100; i++) {
    const ip = (first + i) as Ipv4;
    if (defaultOwnerOf(ip, pool, 20) === "secondary") map.set(ip, active(ip));
  }
  const plan = planPoolBalance(config.subnets, fo, leases(map), NOW);
  equal(plan.pools[0]!.secondaryAvailable, 0);
  equal(plan.pools[0]!.target, 16, "20% of the 80 still available");
  equal(plan.moves.length, 16);
  for (const m of plan.moves) {
    equal(m.state, "backup");
    ok(m.pendingUpdate, "each move is sent to the partner");
    equal(map.get(m.ip), undefined, "only unleased addresses move");
    equal(defaultOwnerOf(m.ip, pool, 20), "primary", "only the primary's FREE addresses move");
  }
  const ips = plan.moves.map((m) => m.ip - first);
  ok(Math.max(...ips) - Math.min(...ips) > 50, `moved addresses spread: ${ips.join(",")}`);
  equal(new Set(ips).size, 16);
});

Deno.test("pool balance: within slack nothing moves; addresses on offer are never moved", () => {
  const map = new Map<number, Lease>();
  let taken = 0;
  for (let i = 0; i < 100 && taken < 1; i++) {
    const ip = (first + i) as Ipv4;
    if (defaultOwnerOf(ip, pool, 20) === "secondary") {
      map.set(ip, active(ip));
      taken++;
    }
  }
  // 19 of a target of 19 (20% of 99): balanced.
  equal(planPoolBalance(config.subnets, fo, leases(map), NOW).moves.length, 0);
  // Every primary address is on offer: nothing can move.
  const holds = new Set<number>();
  const drained = new Map<number, Lease>();
  for (let i = 0; i < 100; i++) {
    const ip = (first + i) as Ipv4;
    if (defaultOwnerOf(ip, pool, 20) === "secondary") drained.set(ip, active(ip));
    else holds.add(ip);
  }
  equal(planPoolBalance(config.subnets, fo, leases(drained, holds), NOW).moves.length, 0);
});

Deno.test("pool balance: with ISC dhcpd nothing is BACKUP by default; the primary gives its share", () => {
  const isc = { ...fo, partner: "isc-dhcpd" as const, authentication: "none" as const };
  equal(secondaryShareOf(isc), 0, "an unrecorded address is the primary's on both boxes");
  const plan = planPoolBalance(config.subnets, isc, leases(new Map()), NOW);
  equal(plan.moves.length, 20, "20% of 100 addresses recorded as BACKUP and sent");
  ok(plan.moves.every((l) => l.state === "backup" && l.pendingUpdate));
  const given = new Map<number, Lease>(plan.moves.map((l) => [l.ip, l]));
  equal(planPoolBalance(config.subnets, isc, leases(given), NOW).moves.length, 0, "then balanced");
});
