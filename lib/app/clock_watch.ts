/**
 * Says when the system clock steps away from Tandem's time base (SteadyClock, lib/clock.ts):
 * a `clock.system_stepped` warning per step of more than a second, and the gauge
 * tandem_clock_system_offset_seconds (system time minus Tandem's) for alerting. Tandem goes on
 * serving on its own base; a restart takes the new system time.
 */
import type { SteadyClock } from "../clock.ts";
import type { EventLog } from "../event_log.ts";
import type { Registry } from "../http/metrics.ts";

/** A step smaller than this is not worth a line (NTP slews anything below 128 ms anyway). */
const STEP_REPORT_MS = 1_000;

export class ClockWatch {
  #reportedMs = 0;

  constructor(readonly clock: SteadyClock, readonly log: EventLog, registry?: Registry) {
    registry?.gauge(
      "tandem_clock_system_offset_seconds",
      "System wall time minus Tandem's time base (the clock steps since start)",
      () => [[{}, Math.round(clock.systemOffsetMs()) / 1000]],
    );
  }

  /** Logs a step since the last report; call it periodically (boot.ts: every 10 s). */
  check(): void {
    const offset = this.clock.systemOffsetMs();
    const step = offset - this.#reportedMs;
    if (Math.abs(step) < STEP_REPORT_MS) return;
    this.#reportedMs = offset;
    this.log.warn("clock.system_stepped", {
      by_sec: Math.round(step / 1000),
      system_offset_sec: Math.round(offset / 1000),
      message: "the system clock stepped; lease times stay on Tandem's time base from its start",
      fix: "restart Tandem to take the system time (the partner measures the new offset)",
    });
  }
}
