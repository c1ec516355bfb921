/**
 * The partner connection under FailoverPeer (draft-12 §8): one TCP link at a time, dialled by
 * the primary with back-off and accepted by the secondary from the partner's address only;
 * framing and authentication of what arrives (FrameReader); CONTACT when idle (§7.11) and the
 * receive timer (§8.3); signing and sending. What a message means is the peer's business
 * (peer.ts): this file hands it decoded messages and tells it when the link is gone.
 */
import type { FailoverConfig } from "../config/config.ts";
import type { Clock, TimerHandle } from "../platform/clock.ts";
import type { EventLog } from "../platform/log.ts";
import type { PeerLink, PeerNetwork } from "../platform/peer_link.ts";
import type { Outgoing } from "./binding_sync.ts";
import type { FailoverMetrics } from "./failover_metrics.ts";
import { FrameReader } from "./frame_reader.ts";
import { type DigestFn, encodeFailover, type FailoverMessage } from "./messages.ts";
import { REJECT } from "./options.ts";

export interface ConnectionHost {
  readonly fo: FailoverConfig;
  readonly clock: Clock;
  readonly net: PeerNetwork;
  readonly log: EventLog;
  readonly metrics: FailoverMetrics;
  readonly digest: DigestFn;
  nowSec(): number;
  /** A new link is up at the TCP level (the primary sends CONNECT now). */
  attached(): void;
  /** An authenticated, decoded message from the partner. */
  message(m: FailoverMessage): void;
  /** The link is gone; wasUp: it had completed CONNECT/CONNECTACK. */
  lost(reason: string, wasUp: boolean): void;
  /**
   * A secondary's incoming connections from the partner keep closing without a byte, the way a
   * secondary's own dial is dropped (§8.2): the partner is probably a secondary too.
   */
  partnerHangsUp?(): void;
}

/** §8.2: how often a secondary without a link dials its partner (and drops the connection). */
const NUDGE_MS = 2000;
/** Silent hang-ups in a row before a secondary says its partner looks like a secondary. */
const HANGUPS_TO_SUSPECT = 3;

export class PeerConnection {
  readonly #h: ConnectionHost;
  #link: PeerLink | undefined;
  #reader: FrameReader | undefined;
  #handshaken = false;
  #xid = 1;
  #lastRecvMs = 0;
  #lastSendMs = 0;
  #attachedMs = 0;
  #linkTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #backoffMs = 100;
  #listener: { close(): void } | undefined;
  #dialing = false;
  #stopped = false;
  /** The current link was accepted, not dialled (a dialled link wins over it, §8.2). */
  #incoming = false;
  #bytesOnLink = 0;
  #silentHangups = 0;
  #nudgeTimer: TimerHandle | undefined;

  constructor(host: ConnectionHost) {
    this.#h = host;
  }

  /** The current link (its identity tells a reply whether it still goes to the same one). */
  get link(): PeerLink | undefined {
    return this.#link;
  }

  /** CONNECT/CONNECTACK completed on the current link. */
  get up(): boolean {
    return this.#handshaken && this.#link !== undefined;
  }

  get handshaken(): boolean {
    return this.#handshaken;
  }

  get lastRecvMs(): number {
    return this.#lastRecvMs;
  }

  /**
   * §8.2: every server listens; the primary also dials. A primary that is reached by a CONNECT
   * learns that its partner is a primary too (peer.ts refuses the pair, with the reason).
   */
  start(role: "primary" | "secondary"): void {
    this.#dialing = role === "primary";
    this.#listener = this.#h.net.listen((link) => this.#accept(link));
    if (this.#dialing) this.#connect();
    else this.#nudge();
  }

  /**
   * §8.2: a secondary also attempts to connect, and "MUST just drop the connection and wait for
   * the primary server to connect to it". The drop is the signal: a primary answers it by
   * dialling; a secondary sees a connection that closes without a byte (partnerHangsUp).
   */
  #nudge(): void {
    this.#nudgeTimer = this.#h.clock.after(NUDGE_MS, () => {
      if (this.#stopped) return;
      if (this.#link === undefined || (this.#incoming && !this.#handshaken)) {
        this.#h.net.connect().then((link) => link.close(), () => {});
      }
      this.#nudge();
    });
  }

  /** The handshake completed: CONTACT starts counting, the dial back-off resets. */
  markHandshaken(): void {
    this.#handshaken = true;
    this.#silentHangups = 0;
    this.#backoffMs = 100;
  }

  stop(): void {
    this.#stopped = true;
    this.#listener?.close();
    this.#reconnectTimer?.cancel();
    this.#nudgeTimer?.cancel();
    this.#linkTimer?.cancel();
    if (this.#link !== undefined) {
      this.send({
        kind: "disconnect",
        rejectReason: REJECT.unknownReason,
        message: "shutting down",
      });
      this.#link.close();
    }
  }

  /** Encodes, signs and sends; returns the xid used. */
  send(m: Outgoing): number {
    const xid = m.xid ?? this.#xid++;
    if (this.#link === undefined) return xid;
    const msg = { ...m, xid, timeSec: this.#h.nowSec() } as FailoverMessage;
    this.#link.send(encodeFailover(msg, { digest: this.#h.digest }));
    this.#lastSendMs = this.#h.clock.monoMs();
    this.#h.metrics.sent.inc({ type: msg.kind });
    return xid;
  }

  /** Closes the current link (and tells the host). */
  drop(reason: string): void {
    const link = this.#link;
    if (link === undefined) return;
    this.#lost(reason);
    link.close();
  }

  #connect(): void {
    if (this.#stopped || this.#link !== undefined) return;
    this.#h.net.connect().then((link) => {
      if (this.#stopped) return link.close();
      if (this.#link !== undefined) {
        // The primary's own connection wins over an accepted one not handshaken yet (§8.2:
        // the primary sends CONNECT on a connection it initiated).
        if (!this.#incoming || this.#handshaken) return link.close();
        this.drop("replaced by this server's own connection");
      }
      this.#attach(link, false);
      this.#h.attached();
    }, () => this.#scheduleReconnect());
  }

  #scheduleReconnect(): void {
    if (this.#stopped || !this.#dialing) return;
    this.#reconnectTimer?.cancel();
    // Back-off so a flapping link costs little: 100 ms doubling to 2 s, reset on a handshake.
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(2000, this.#backoffMs * 2);
    this.#reconnectTimer = this.#h.clock.after(delay, () => this.#connect());
  }

  #accept(link: PeerLink): void {
    const host = link.remote.replace(/:\d+$/, "");
    if (host !== this.#h.fo.partnerAddress && !link.remote.startsWith("memory-")) {
      this.#h.metrics.rejectedConnections.inc({ reason: "not-partner" });
      this.#h.log.warn("failover.connection_rejected", {
        remote: link.remote,
        reason: "not the partner address",
      });
      link.close();
      return;
    }
    if (this.#link !== undefined && this.#dialing) {
      // A primary keeps the link it has (its own dial wins, see #connect).
      link.close();
      return;
    }
    if (this.#link !== undefined) {
      const heardMs = this.#h.clock.monoMs() - this.#lastRecvMs;
      if (this.#handshaken && heardMs <= this.#h.fo.receiveTimerMs) {
        // A live, authenticated link stays; a second connection is refused (§7.9.2, reason
        // 7), so garbage from the partner's address cannot knock the real link over.
        this.#h.metrics.rejectedConnections.inc({ reason: "duplicate" });
        link.close();
        return;
      }
      // Otherwise the old one is half-open (the partner restarted): the new one replaces it.
      this.drop("replaced by a new connection");
    }
    this.#attach(link, true);
    this.#h.attached();
  }

  #attach(link: PeerLink, incoming: boolean): void {
    this.#link = link;
    this.#incoming = incoming;
    this.#bytesOnLink = 0;
    this.#reader = new FrameReader({ digest: this.#h.digest });
    this.#handshaken = false;
    this.#lastRecvMs = this.#h.clock.monoMs();
    this.#lastSendMs = this.#lastRecvMs;
    this.#attachedMs = this.#lastRecvMs;
    link.start({
      data: (chunk) => {
        if (this.#link === link) this.#onData(chunk);
      },
      closed: (reason) => {
        if (this.#link === link) this.#lost(reason);
      },
    });
    this.#armLinkTimer();
  }

  /** CONTACT when idle (§7.11) and the receive timer (§8.3): both checked every tick. */
  #armLinkTimer(): void {
    this.#linkTimer?.cancel();
    const fo = this.#h.fo;
    const every = Math.max(20, Math.floor(fo.contactIntervalMs / 2));
    this.#linkTimer = this.#h.clock.after(every, () => {
      if (this.#link === undefined || this.#stopped) return;
      const now = this.#h.clock.monoMs();
      if (!this.#handshaken && now - this.#attachedMs > 2 * fo.receiveTimerMs) {
        // A connection that talks but never completes CONNECT/CONNECTACK is not a partner.
        this.#h.metrics.rejectedConnections.inc({ reason: "no-handshake" });
        this.drop("no CONNECT/CONNECTACK in time");
        return;
      }
      if (now - this.#lastRecvMs > fo.receiveTimerMs) {
        this.#h.metrics.receiveTimerExpired.inc();
        this.send({
          kind: "disconnect",
          rejectReason: REJECT.noTraffic,
          message: "receive timer expired",
        });
        this.drop("receive timer expired");
        return;
      }
      if (this.#handshaken && now - this.#lastSendMs >= fo.contactIntervalMs) {
        this.send({ kind: "contact" });
      }
      this.#armLinkTimer();
    });
  }

  #lost(reason: string): void {
    if (this.#link === undefined) return;
    if (!this.#dialing && this.#incoming && !this.#handshaken) {
      if (this.#bytesOnLink === 0) {
        this.#silentHangups++;
        if (this.#silentHangups >= HANGUPS_TO_SUSPECT) {
          this.#h.partnerHangsUp?.();
        }
      } else this.#silentHangups = 0;
    }
    this.#link = undefined;
    this.#reader = undefined;
    this.#linkTimer?.cancel();
    const wasUp = this.#handshaken;
    this.#handshaken = false;
    this.#h.lost(reason, wasUp);
    this.#scheduleReconnect();
  }

  #onData(chunk: Uint8Array): void {
    this.#lastRecvMs = this.#h.clock.monoMs();
    this.#bytesOnLink += chunk.length;
    for (const item of this.#reader?.push(chunk) ?? []) {
      if (!item.ok) {
        this.#h.metrics.badMessages.inc({ kind: item.error.kind });
        this.#h.log.warn("failover.bad_message", {
          kind: item.error.kind,
          detail: item.error.message,
        });
        if (item.error.fatal) {
          // Unauthenticated or garbage: drop the connection, never the process (§6.1, §11.1).
          this.drop(`bad message: ${item.error.kind}`);
          return;
        }
        continue;
      }
      this.#h.metrics.received.inc({ type: item.msg.kind });
      this.#h.message(item.msg);
      if (this.#link === undefined) return;
    }
  }
}
