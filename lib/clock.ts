/**
 * Time and timers enter Tandem only through Clock (the system one is lib/platform/clock.ts) (ARCHITECTURE.md, conventions C3), so that
 * tests and the two halves of an in-process failover pair can each run on their own clock.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /**
   * Wall-clock milliseconds since the epoch: for times that go on the wire or into leases. An
   * NTP step moves it; never measure a duration with it.
   */
  nowMs(): number;
  /** Monotonic milliseconds (any origin): for every duration (timers, silence, ages). */
  monoMs(): number;
  /** Runs fn once after delayMs. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

/**
 * A clock that moves only when told. advance() fires due timers in time order. offsetMs lets a
 * test give one peer a skewed wall clock.
 */
export class ManualClock implements Clock {
  #now: number;
  #mono = 1_000_000; // any origin; not 0, which some callers read as "never"
  /** Timers run on the monotonic time, as the system timer does: a wall-clock step moves none. */
  #timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  #seq = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  monoMs(): number {
    return this.#mono;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    const t = { at: this.#mono + Math.max(0, delayMs), seq: this.#seq++, fn, live: true };
    this.#timers.push(t);
    return { cancel: () => (t.live = false) };
  }

  /** Moves time (wall and monotonic) forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#mono + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => t.live);
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      next.live = false;
      const step = Math.max(0, next.at - this.#mono);
      this.#mono += step;
      this.#now += step;
      next.fn();
    }
    this.#now += target - this.#mono;
    this.#mono = target;
  }

  /** Steps the wall clock only (clock skew, an NTP step): no timer fires or moves. */
  step(ms: number): void {
    this.#now += ms;
  }
}

/**
 * Tandem's time base: the system's wall time read once, at start, then moved on by the
 * monotonic clock only. A step of the system clock while Tandem runs (an NTP step, `date -s`)
 * moves no lease end, no MCLT deadline and no partner-down time: every absolute time Tandem
 * stored or sent stays on one base. A forward step read as wall time would end leases early
 * (two clients on one address); a backward step would stretch what the partner is told. The
 * partner's offset is still measured from each message (draft §5.10), and a box takes the new
 * system time when it restarts. NTP's gradual slewing reaches the monotonic clock too, so the
 * base does not drift. systemOffsetMs() says how far the system clock has moved away from it.
 */
export class SteadyClock implements Clock {
  readonly #base: Clock;
  readonly #wall0: number;
  readonly #mono0: number;

  constructor(base: Clock) {
    this.#base = base;
    this.#wall0 = base.nowMs();
    this.#mono0 = base.monoMs();
  }

  nowMs(): number {
    return this.#wall0 + (this.#base.monoMs() - this.#mono0);
  }

  monoMs(): number {
    return this.#base.monoMs();
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.#base.after(delayMs, fn);
  }

  /** The system's wall time minus this clock's: the sum of the steps since start. */
  systemOffsetMs(): number {
    return this.#base.nowMs() - this.nowMs();
  }
}
