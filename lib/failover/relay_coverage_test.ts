import { deepEqual, equal } from "node:assert/strict";
import { parseIpv4 } from "../wire/ipv4.ts";
import { oneSidedText, RelayCoverage } from "./relay_coverage.ts";

const T = 1_000_000;
const R1 = parseIpv4("10.1.2.1")!, R2 = parseIpv4("10.1.3.1")!;

/** Two boxes' coverage, swapping reports the way the peers do. */
function pair(alarmSec: number) {
  const a = new RelayCoverage(T, alarmSec), b = new RelayCoverage(T, alarmSec);
  const swap = (now: number) => {
    a.partnerReport(b.report(now), now);
    b.partnerReport(a.report(now), now);
  };
  return { a, b, swap };
}

Deno.test("relay coverage: a relay heard by one box only raises the alarm on both, then clears", () => {
  const { a, b, swap } = pair(60);
  for (let t = T; t <= T + 120; t += 10) {
    a.heard(R1, t, () => 1);
    b.heard(R2, t, () => 2); // R2 forwards to b only
    a.heard(R2, t - 1_000, () => 2); // (a heard R2 long ago: stale)
    b.heard(R1, t, () => 1);
    swap(t);
  }
  const now = T + 120;
  deepEqual(a.oneSided(now)?.map((o) => [o.relay, o.subnetId, o.heardBy]), [
    ["10.1.3.1", 2, "partner"],
  ]);
  deepEqual(b.oneSided(now)?.map((o) => [o.relay, o.heardBy]), [["10.1.3.1", "this box"]]);
  const [alarm] = b.oneSided(now)!;
  equal(
    oneSidedText(alarm!, "10.30.0.2"),
    "relay 10.1.3.1 (subnet 2) forwards to this box only: add the partner (10.30.0.2) as a " +
      "helper address on it",
  );
  // The helper is added on R2: a hears it too, and once reported the alarm is gone.
  a.heard(R2, now + 5, () => 2);
  b.heard(R2, now + 5, () => 2);
  swap(now + 5);
  deepEqual(a.oneSided(now + 5), []);
  deepEqual(b.oneSided(now + 5), []);
});

Deno.test("relay coverage: no verdict before both boxes listened alarmSec, nor without reports", () => {
  const { a, b, swap } = pair(60);
  a.heard(R1, T, () => 1);
  equal(a.oneSided(T + 100), undefined, "no partner report yet");
  swap(T + 100);
  equal(a.oneSided(T + 101), undefined, "the partner's reports are too recent");
  a.heard(R1, T + 170, () => 1);
  swap(T + 170);
  deepEqual(a.oneSided(T + 170)?.map((o) => o.heardBy), ["this box"]);
  a.partnerGone();
  equal(a.oneSided(T + 171), undefined, "the link is down: no verdict");
  equal(b.oneSided(T + 170)?.length, 1);
  // Off: never an alarm.
  deepEqual(new RelayCoverage(T, 0).oneSided(T + 1000), []);
  // A malformed report is refused.
  equal(a.partnerReport(new Uint8Array(15), T), false);
});
