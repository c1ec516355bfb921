import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ManualClock } from "../clock.ts";

Deno.test("ManualClock: a wall-clock step neither fires nor delays a timer (MCLT waits, safe period)", () => {
  const clock = new ManualClock(1_000_000);
  const fired: string[] = [];
  clock.after(60_000, () => fired.push("mclt"));
  clock.after(1_000, () => fired.push("contact"));
  clock.step(3_600_000); // NTP steps the wall clock an hour ahead
  assertEquals(fired, [], "a forward step fires nothing");
  clock.step(-7_200_000); // and two hours back
  clock.advance(999);
  assertEquals(fired, []);
  clock.advance(1);
  assertEquals(fired, ["contact"], "due after its own delay, not the step");
  clock.advance(59_000);
  assertEquals(fired, ["contact", "mclt"]);
  // Wall time moved by the steps; monotonic time only by advance().
  assertEquals(clock.nowMs(), 1_000_000 - 3_600_000 + 60_000);
});
