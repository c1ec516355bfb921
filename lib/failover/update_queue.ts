/**
 * Binding updates on their way to the partner (draft-12 §7.1, §8.4 flow control): a queue of
 * addresses to send (a newer change of an address replaces the older one) and the BNDUPD
 * messages in flight, at most max-unacked-bndupd of them (§7.8.1). Pure.
 */
import type { Ipv4 } from "../wire/ipv4.ts";

export class UpdateQueue {
  /** Addresses waiting to be sent, in first-queued order. */
  readonly #waiting = new Set<Ipv4>();
  /** xid -> addresses carried by that BNDUPD. */
  readonly #inFlight = new Map<number, readonly Ipv4[]>();

  enqueue(ip: Ipv4): void {
    this.#waiting.add(ip);
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get idle(): boolean {
    return this.#waiting.size === 0 && this.#inFlight.size === 0;
  }

  /** Up to max addresses to put in the next BNDUPD, or [] when the window is full. */
  take(max: number, maxUnacked: number): Ipv4[] {
    if (this.#inFlight.size >= maxUnacked) return [];
    const out: Ipv4[] = [];
    for (const ip of this.#waiting) {
      if (out.length >= max) break;
      out.push(ip);
    }
    for (const ip of out) this.#waiting.delete(ip);
    return out;
  }

  /** Records what a sent BNDUPD carried. */
  sent(xid: number, ips: readonly Ipv4[]): void {
    this.#inFlight.set(xid, ips);
  }

  /** Puts back addresses that did not fit in the message. */
  putBack(ips: readonly Ipv4[]): void {
    for (const ip of ips) this.#waiting.add(ip);
  }

  /** The BNDACK for xid arrived: the addresses it carried. */
  acked(xid: number): readonly Ipv4[] {
    const ips = this.#inFlight.get(xid) ?? [];
    this.#inFlight.delete(xid);
    return ips;
  }

  /** Connection lost: everything in flight must be sent again (§8.4: resend unacked). */
  requeueInFlight(): void {
    for (const ips of this.#inFlight.values()) for (const ip of ips) this.#waiting.add(ip);
    this.#inFlight.clear();
  }
}
