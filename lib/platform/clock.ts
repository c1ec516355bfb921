/** The system clock: Date.now for wall time, performance.now for durations, setTimeout. */
import type { Clock } from "../clock.ts";

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monoMs: () => performance.now(),
  after(delayMs, fn) {
    const id = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(id) };
  },
};
