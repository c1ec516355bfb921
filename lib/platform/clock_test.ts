import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ManualClock, SteadyClock } from "../clock.ts";

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

Deno.test("SteadyClock: a system clock step while running moves nothing; it is reported", () => {
  const system = new ManualClock(1_700_000_000_000);
  const clock = new SteadyClock(system);
  const fired: string[] = [];
  clock.after(60_000, () => fired.push("mclt"));
  system.advance(10_000);
  assertEquals(clock.nowMs(), 1_700_000_010_000);
  system.step(240_000); // NTP steps the system clock four minutes ahead
  assertEquals(clock.nowMs(), 1_700_000_010_000, "Tandem's time did not jump");
  assertEquals(clock.systemOffsetMs(), 240_000);
  system.advance(50_000);
  assertEquals(fired, ["mclt"], "timers keep their delays");
  assertEquals(clock.nowMs(), 1_700_000_060_000);
  system.step(-300_000);
  assertEquals(clock.nowMs(), 1_700_000_060_000, "nor does a step back");
  assertEquals(clock.systemOffsetMs(), -60_000);
  // A restart takes the system's time as it is then.
  assertEquals(new SteadyClock(system).nowMs(), system.nowMs());
});
