/**
 * Time and timers enter Tandem only through Clock (ARCHITECTURE.md, conventions C3), so that
 * tests and the two halves of an in-process failover pair can each run on their own clock.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
  /** Runs fn once after delayMs. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  after(delayMs, fn) {
    const id = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(id) };
  },
};

/**
 * A clock that moves only when told. advance() fires due timers in time order. offsetMs lets a
 * test give one peer a skewed wall clock.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  #seq = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    const t = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, live: true };
    this.#timers.push(t);
    return { cancel: () => (t.live = false) };
  }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => t.live);
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      next.live = false;
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
  }

  /** Jumps the wall clock (clock skew / NTP step) without firing timers. */
  step(ms: number): void {
    this.#now += ms;
    for (const t of this.#timers) t.at += ms;
  }
}
