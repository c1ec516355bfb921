import { deepStrictEqual, equal, match } from "node:assert/strict";
import { ManualClock, SteadyClock } from "../clock.ts";
import { MemoryLog } from "../event_log.ts";
import { Registry } from "../http/metrics.ts";
import { ClockWatch } from "./clock_watch.ts";

Deno.test("ClockWatch: one warning per step of the system clock, none for small moves", () => {
  const system = new ManualClock(1_700_000_000_000);
  const log = new MemoryLog();
  const registry = new Registry();
  const watch = new ClockWatch(new SteadyClock(system), log, registry);
  system.step(400);
  watch.check();
  equal(log.events.length, 0, "400 ms is not a step worth a line");
  system.step(240_000);
  watch.check();
  watch.check();
  deepStrictEqual(log.events.map((e) => [e.level, e.event, e.props.by_sec]), [
    ["warn", "clock.system_stepped", 240],
  ]);
  match(registry.render(), /tandem_clock_system_offset_seconds 240\.4/);
  system.step(-240_400);
  watch.check();
  equal(log.events.at(-1)?.props.by_sec, -240);
  equal(log.events.at(-1)?.props.system_offset_sec, 0);
});
