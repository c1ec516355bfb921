import {
  capLeaseEndSec,
  leaseEndCapSec,
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

Deno.test("cap is MCLT past max(now, acked) in every serving state, whatever was given", () => {
  const lease = {
    endSec: NOW + 5000,
    potentialEndSec: NOW + 9000,
    ackedPotentialEndSec: NOW + 100,
  };
  for (const s of ["normal", "communications-interrupted", "partner-down"] as const) {
    assertEquals(leaseEndCapSec(s, lease, NOW, MCLT), NOW + 100 + MCLT, s);
  }
  for (const s of ["startup", "recover", "recover-wait", "potential-conflict", "paused"] as const) {
    assertEquals(capLeaseEndSec(s, lease, NOW + DAY, NOW, MCLT), NOW);
  }
  // Shorter desired times pass unchanged.
  assertEquals(capLeaseEndSec("normal", lease, NOW + 60, NOW, MCLT), NOW + 60);
});

Deno.test("§5.2.1: renewals outside NORMAL do not ratchet the end past acked + MCLT", () => {
  // Acked potential P; the client renews every 5 minutes in COMMUNICATIONS-INTERRUPTED,
  // each time asking for a day. Every end stays within MCLT of max(now, P).
  const P = NOW + 600;
  let lease = { endSec: NOW + 600, potentialEndSec: P, ackedPotentialEndSec: P };
  for (let t = NOW; t < NOW + 6 * 3600; t += 300) {
    const end = capLeaseEndSec("communications-interrupted", lease, t + DAY, t, MCLT);
    assert(end <= Math.max(t, P) + MCLT, `renewal at ${t - NOW}s ends ${end - P}s past P`);
    lease = { ...lease, endSec: end };
  }
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
});
