import {
  capLeaseEndSec,
  leaseEndCapSec,
  mayReallocateSec,
  partnerDownReuseSec,
  partnerPoolUsableSec,
  potentialEndToSendSec,
} from "./mclt.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const NOW = 1_000_000;
const MCLT = 3600;
const DAY = 86400;

Deno.test("§5.2.1 Figure 5.2.1-1: a new lease gets the MCLT, the renewal the desired time", () => {
  // New lease: nothing acked, so at most now + MCLT.
  assertEquals(capLeaseEndSec("normal", undefined, NOW + 3 * DAY, NOW, MCLT), NOW + MCLT);
  // BNDUPD carried potential = t + MCLT/2 + 3 days, acked by the partner.
  const pot = potentialEndToSendSec(NOW, NOW + MCLT, 3 * DAY);
  assertEquals(pot, NOW + MCLT / 2 + 3 * DAY);
  // Renewal at t + MCLT/2: remaining acked time 3 days + MCLT >= desired: desired granted.
  const t1 = NOW + MCLT / 2;
  const lease = { endSec: NOW + MCLT, potentialEndSec: pot, ackedPotentialEndSec: pot };
  assertEquals(capLeaseEndSec("normal", lease, t1 + 3 * DAY, t1, MCLT), t1 + 3 * DAY);
  // Next potential: T1 part of 3 days (1.5 days) + 3 days = 4.5 days ahead.
  assertEquals(potentialEndToSendSec(t1, t1 + 3 * DAY, 3 * DAY), t1 + 4.5 * DAY);
});

Deno.test("cap never exceeds acked + MCLT in NORMAL; CI also counts the lease end", () => {
  const lease = {
    endSec: NOW + 5000,
    potentialEndSec: NOW + 9000,
    ackedPotentialEndSec: NOW + 100,
  };
  assertEquals(leaseEndCapSec("normal", lease, NOW, MCLT), NOW + 100 + MCLT);
  assertEquals(leaseEndCapSec("communications-interrupted", lease, NOW, MCLT), NOW + 5000 + MCLT);
  assertEquals(leaseEndCapSec("partner-down", lease, NOW, MCLT), NOW + 5000 + MCLT);
  for (const s of ["startup", "recover", "recover-wait", "potential-conflict", "paused"] as const) {
    assertEquals(capLeaseEndSec(s, lease, NOW + DAY, NOW, MCLT), NOW);
  }
  // Shorter desired times pass unchanged.
  assertEquals(capLeaseEndSec("normal", lease, NOW + 60, NOW, MCLT), NOW + 60);
});

Deno.test("potential expiration is never below the actual end", () => {
  assert(potentialEndToSendSec(NOW, NOW + 2 * DAY, 60) >= NOW + 2 * DAY);
});

Deno.test("PARTNER-DOWN reuse waits MCLT past the latest known time and past PD entry", () => {
  const pd = NOW;
  assertEquals(partnerPoolUsableSec(pd, MCLT), NOW + MCLT);
  const old = { endSec: NOW - DAY, potentialEndSec: NOW - DAY, ackedPotentialEndSec: 0 };
  assertEquals(partnerDownReuseSec(old, pd, MCLT), NOW + MCLT, "the longer of: PD + MCLT");
  const live = { endSec: NOW + 100, potentialEndSec: NOW + 7000, ackedPotentialEndSec: NOW + 500 };
  assertEquals(partnerDownReuseSec(live, pd, MCLT), NOW + 7000 + MCLT);
  const l = { ...live, pendingUpdate: false };
  assert(!mayReallocateSec("partner-down", l, NOW + 7000, MCLT, pd));
  assert(mayReallocateSec("partner-down", l, NOW + 7000 + MCLT, MCLT, pd));
  // §5.2.2: elsewhere only the partner's ack matters.
  assert(mayReallocateSec("normal", l, NOW, MCLT, null));
  assert(!mayReallocateSec("normal", { ...l, pendingUpdate: true }, NOW, MCLT, null));
});
