import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { judgeBinding, markForPartner } from "./lease_sync.ts";
import { ownerStateOf, servingScope } from "./serving.ts";
import { emptyLease, type Lease } from "../lease/lease.ts";
import { MemoryLeaseStore } from "../lease/memory_store.ts";
import { pairConfig } from "../../tests/helpers/pair_harness.ts";
import { type Ipv4, parseIpv4 } from "../wire/ipv4.ts";
import type { FailoverSnapshot } from "./snapshot.ts";

const NOW = 1_800_000_000;
const primary = pairConfig("primary");
const secondary = pairConfig("secondary");
const fo = primary.failover!;

/** The first pool address whose owner state is `want` (20 % of the pool is the secondary's). */
function addressOwnedAs(want: "free" | "backup"): Ipv4 {
  for (let i = 10; i <= 109; i++) {
    const ip = parseIpv4(`192.0.2.${i}`)!;
    if (ownerStateOf(ip, 1, primary.subnets, fo) === want) return ip;
  }
  throw new Error(`no ${want} address`);
}

function active(ip: Ipv4): Lease {
  return {
    ...emptyLease(ip, 1, "active", NOW - 100),
    clientKey: "01:aa",
    hwType: 1,
    hwAddr: "aa",
    endSec: NOW - 1,
    clttSec: NOW - 100,
  };
}

Deno.test("ownerStateOf: the same answer from either box's config, 20 % BACKUP", () => {
  let backup = 0;
  for (let i = 10; i <= 109; i++) {
    const ip = parseIpv4(`192.0.2.${i}`)!;
    const a = ownerStateOf(ip, 1, primary.subnets, primary.failover!);
    assertEquals(ownerStateOf(ip, 1, secondary.subnets, secondary.failover!), a);
    if (a === "backup") backup++;
  }
  assertEquals(backup, 20);
});

Deno.test("§5.11: an accepted EXPIRED/RELEASED/RESET is stored as its owner's state", () => {
  for (const want of ["free", "backup"] as const) {
    const ip = addressOwnedAs(want);
    for (const status of ["expired", "released", "reset"] as const) {
      for (const [config, role] of [[primary, "primary"], [secondary, "secondary"]] as const) {
        const v = judgeBinding(
          { ip, status, clttSec: NOW, stateStartSec: NOW },
          active(ip),
          config,
          role,
          NOW,
          0,
        );
        ok(v.accept, `${status} on ${role}`);
        assertEquals(v.lease.state, want, `${status} of a ${want} address on the ${role}`);
        assertEquals(v.lease.pendingUpdate, false);
      }
    }
  }
});

Deno.test("markForPartner: an ABANDONED record leaves through RESET (Figure 5.11-1 note 3)", () => {
  const ip = addressOwnedAs("free");
  const store = new MemoryLeaseStore();
  store.apply([{ kind: "put", lease: { ...emptyLease(ip, 1, "abandoned", NOW), endSec: NOW } }]);
  const snap = { role: "primary", state: "normal", mcltSec: 60, partnerDownSec: null };
  const scope = servingScope(snap as unknown as FailoverSnapshot, fo, primary.subnets, NOW);
  const [op] = markForPartner([{ kind: "delete", ip }], store, scope, primary, NOW);
  ok(op?.kind === "put");
  assertEquals([op.lease.state, op.lease.pendingUpdate], ["reset", true]);
});
