/**
 * Freshness of received failover messages (draft-12 §5.10 time field, §11.1 authentication).
 * The HMAC proves a message came from the partner, not that it is new: a captured message stays
 * validly signed. So each message's time field is checked against the partner's clock as this
 * box follows it: anchored at the handshake, advanced by this box's monotonic clock, and
 * carried across connections for a while, so a CONNECT recorded earlier and replayed on a new
 * connection is stale too. A message older than the window, or one repeating a (type, xid)
 * already seen on the connection, is refused. Pure: the caller passes both clocks in.
 *
 * It does not stop an on-path attacker who replays within the window onto a connection it
 * opens before the real partner reconnects; TLS (peer_tls.ts) does.
 */

/** How far behind the followed partner clock a message may be (queueing, 1 s resolution). */
export const REPLAY_WINDOW_SEC = 30;
/** How long the partner clock is followed with no message (then a backward step is believed). */
const FOLLOW_FOR_MS = 3_600_000;
/** How many (type, xid) pairs per connection are remembered. */
const SEEN_MAX = 4096;

export type Freshness =
  | { readonly ok: true; readonly steppedSec?: number }
  | { readonly ok: false; readonly reason: "stale" | "repeated"; readonly behindSec: number };

export class ReplayGuard {
  /** Partner clock (s) at anchorMono (ms, this box's monotonic clock). */
  #anchorSec: number | undefined;
  #anchorMono = 0;
  #seen = new Set<string>();
  #order: string[] = [];

  /** The partner's clock as followed now, or undefined before any message or after a while. */
  expectedSec(monoMs: number): number | undefined {
    if (this.#anchorSec === undefined || monoMs - this.#anchorMono > FOLLOW_FOR_MS) {
      return undefined;
    }
    return this.#anchorSec + Math.floor((monoMs - this.#anchorMono) / 1000);
  }

  /** A new connection: nothing of the old one's xids is remembered (its clock still is). */
  newConnection(): void {
    this.#seen = new Set();
    this.#order = [];
  }

  /**
   * Judges one authenticated message. A time ahead of the followed clock moves it forward
   * (a forward NTP step on the partner, draft §5.10 re-measuring); a time behind it by more
   * than the window is stale; the same type and xid twice on a connection is a repeat.
   */
  check(kind: string, xid: number, timeSec: number, monoMs: number): Freshness {
    const expected = this.expectedSec(monoMs);
    if (expected !== undefined && timeSec < expected - REPLAY_WINDOW_SEC) {
      return { ok: false, reason: "stale", behindSec: expected - timeSec };
    }
    const key = `${kind}:${xid}`;
    if (this.#seen.has(key)) return { ok: false, reason: "repeated", behindSec: 0 };
    this.#seen.add(key);
    this.#order.push(key);
    if (this.#order.length > SEEN_MAX) this.#seen.delete(this.#order.shift()!);
    if (expected === undefined || timeSec > expected) {
      const steppedSec = expected !== undefined && timeSec - expected > REPLAY_WINDOW_SEC
        ? timeSec - expected
        : undefined;
      this.#anchorSec = timeSec;
      this.#anchorMono = monoMs;
      return steppedSec === undefined ? { ok: true } : { ok: true, steppedSec };
    }
    return { ok: true };
  }
}
