/**
 * At most LINES_PER_SEC lines per second per event id for lines that untrusted input can cause
 * (malformed packets, refused bindings, rejected connections): a flood cannot flood the log.
 * What was held back is counted in one `log.suppressed` line when the next second starts.
 */
import type { EventLog } from "./event_log.ts";

const LINES_PER_SEC = 10;

export class LogLimiter {
  readonly #windows = new Map<string, { startMs: number; n: number }>();

  constructor(readonly log: EventLog, readonly nowMs: () => number) {}

  warn(event: string, props: Record<string, unknown>): void {
    const now = this.nowMs();
    const w = this.#windows.get(event) ?? { startMs: now, n: 0 };
    if (now - w.startMs >= 1000) {
      if (w.n > LINES_PER_SEC) {
        this.log.warn("log.suppressed", { event, lines: w.n - LINES_PER_SEC });
      }
      w.startMs = now;
      w.n = 0;
    }
    w.n++;
    this.#windows.set(event, w);
    if (w.n <= LINES_PER_SEC) this.log.warn(event, props);
  }
}
