/**
 * An in-memory partner network for in-process pair tests: two ends, a switchable link.
 * cut() models a partition (bytes silently lost, no FIN: detection needs the receive timer);
 * cutOneWay() an asymmetric one; kill() a crashed box (its connections end with a reset).
 */
import type { LinkHandlers, PeerLink, PeerNetwork } from "../../lib/failover/peer_link.ts";

type Side = "a" | "b";

interface Pipe {
  readonly ends: Record<Side, { h?: LinkHandlers; closed: boolean; queue: Uint8Array[] }>;
}

export class MemoryNet {
  /** Direction a->b and b->a delivery switches. */
  up: Record<Side, boolean> = { a: true, b: true };
  #listeners: Partial<Record<Side, (l: PeerLink) => void>> = {};
  #pipes: Pipe[] = [];
  #reachable: Record<Side, boolean> = { a: true, b: true };

  network(side: Side): PeerNetwork {
    const other: Side = side === "a" ? "b" : "a";
    return {
      listen: (onLink) => {
        this.#listeners[side] = onLink;
        return { close: () => delete this.#listeners[side] };
      },
      connect: () => {
        const target = this.#listeners[other];
        if (!target || !this.up[side] || !this.up[other] || !this.#reachable[other]) {
          return Promise.reject(new Error("connection refused or unreachable"));
        }
        const pipe: Pipe = {
          ends: { a: { closed: false, queue: [] }, b: { closed: false, queue: [] } },
        };
        this.#pipes.push(pipe);
        const mine = this.#end(pipe, side);
        target(this.#end(pipe, other));
        return Promise.resolve(mine);
      },
    };
  }

  #end(pipe: Pipe, side: Side): PeerLink {
    const other: Side = side === "a" ? "b" : "a";
    const me = pipe.ends[side];
    return {
      remote: `memory-${other}`,
      start: (h) => {
        me.h = h;
        for (const c of me.queue.splice(0)) h.data(c);
      },
      send: (bytes) => {
        if (me.closed || !this.up[side]) return; // partitioned: bytes vanish
        const dest = pipe.ends[other];
        const copy = bytes.slice();
        queueMicrotask(() => {
          if (dest.closed) return;
          if (dest.h) dest.h.data(copy);
          else dest.queue.push(copy);
        });
      },
      close: () => this.#closePipe(pipe, "closed locally"),
    };
  }

  #closePipe(pipe: Pipe, reason: string) {
    for (const s of ["a", "b"] as const) {
      const e = pipe.ends[s];
      if (e.closed) continue;
      e.closed = true;
      const h = e.h;
      queueMicrotask(() => h?.closed(reason));
    }
    this.#pipes = this.#pipes.filter((p) => p !== pipe);
  }

  /** Both directions down; existing connections stay "open" but deliver nothing. */
  cut(): void {
    this.up = { a: false, b: false };
  }

  /** Only side's outgoing bytes are lost. */
  cutOneWay(side: Side): void {
    this.up[side] = false;
  }

  heal(): void {
    this.up = { a: true, b: true };
  }

  /** The box on `side` died: its connections reset, it accepts nothing until revive(). */
  kill(side: Side): void {
    this.#reachable[side] = false;
    delete this.#listeners[side];
    for (const p of [...this.#pipes]) this.#closePipe(p, "connection reset");
  }

  revive(side: Side): void {
    this.#reachable[side] = true;
  }
}
