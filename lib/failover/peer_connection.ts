/**
 * The partner connection under FailoverPeer (draft-12 §8): one TCP link at a time, dialled by
 * the primary with back-off and accepted by the secondary from the partner's address only;
 * framing and authentication of what arrives (FrameReader); CONTACT when idle (§7.11) and the
 * receive timer (§8.3); signing and sending. What a message means is the peer's business
 * (peer.ts): this file hands it decoded messages and tells it when the link is gone.
 */
import type { FailoverConfig } from "../config/config.ts";
import type { Clock, TimerHandle } from "../clock.ts";
import type { EventLog } from "../event_log.ts";
import type { PeerLink, PeerNetwork } from "./peer_link.ts";
import type { Outgoing } from "./binding_sync.ts";
import type { FailoverMetrics } from "./failover_metrics.ts";
import { FrameReader } from "./frame_reader.ts";
import { type DigestFn, encodeFailover, type FailoverMessage } from "./messages.ts";
import { REJECT } from "./options.ts";
import { LogLimiter } from "../log_limiter.ts";
import { ReplayGuard } from "./replay_guard.ts";

export interface ConnectionHost {
  readonly fo: FailoverConfig;
  readonly clock: Clock;
  readonly net: PeerNetwork;
  readonly log: EventLog;
  readonly metrics: FailoverMetrics;
  /** The shared-secret digest (§11.1); undefined when authentication = "none". */
  readonly digest: DigestFn | undefined;
  /**
   * The first xid (random in production, lib/platform): a CONNECTACK recorded in an earlier run
   * never answers this run's CONNECT (§7.9: the CONNECTACK echoes the CONNECT's xid).
   */
  readonly firstXid?: number;
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
/**
 * Connections from the partner's address waiting for their CONNECT at once. More evicts the
 * oldest: the real partner sends CONNECT within a round trip, so a flood of silent connections
 * from its address cannot hold every slot, nor displace the link (draft §8.2 allows one).
 */
const MAX_PENDING = 4;

/** An accepted connection that has not sent its CONNECT yet. */
interface Pending {
  readonly link: PeerLink;
  readonly reader: FrameReader;
  readonly timer: TimerHandle;
  bytes: number;
  closedByUs: boolean;
}

export class PeerConnection {
  readonly #h: ConnectionHost;
  #link: PeerLink | undefined;
  #reader: FrameReader | undefined;
  #handshaken = false;
  #xid: number;
  #lastRecvMs = 0;
  #lastSendMs = 0;
  #attachedMs = 0;
  #linkTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #backoffMs = 100;
  #listener: { close(): void } | undefined;
  #dialing = false;
  /** This box is the primary (the one that sends CONNECT, §7.8.1). */
  #primary = false;
  #stopped = false;
  /** The current link was accepted, not dialled (a dialled link wins over it, §8.2). */
  #incoming = false;
  #silentHangups = 0;
  #nudgeTimer: TimerHandle | undefined;
  readonly #pending = new Set<Pending>();
  readonly #guard = new ReplayGuard();
  readonly #limited: LogLimiter;

  constructor(host: ConnectionHost) {
    this.#h = host;
    this.#limited = new LogLimiter(host.log, () => host.clock.monoMs());
    this.#xid = host.firstXid ?? 1;
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
   *
   * With an ISC dhcpd partner the secondary dials too and keeps the connection open: dhcpd's
   * primary sends CONNECT on any connection with its peer, whoever opened it, and redials a lost
   * secondary only after a long interval, so a secondary that merely nudged (and dropped) would
   * leave a restarted box out of the pair for that long.
   */
  start(role: "primary" | "secondary"): void {
    this.#primary = role === "primary";
    this.#dialing = this.#primary || this.#h.fo.partner === "isc-dhcpd";
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
    for (const p of [...this.#pending]) this.#closePending(p);
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
    if (msg.kind === "connect") this.#connectXid = xid;
    this.#link.send(encodeFailover(msg, this.#codec()));
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
        // the primary sends CONNECT on a connection it initiated). A secondary keeps any link
        // it has: the CONNECT may already be on its way over it.
        if (!this.#primary || !this.#incoming || this.#handshaken) return link.close();
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

  #codec(): { digest?: DigestFn } {
    return this.#h.digest === undefined ? {} : { digest: this.#h.digest };
  }

  /** The current link runs over TLS (draft §11.2). */
  get secured(): boolean {
    return this.#secured;
  }
  #secured = false;

  /**
   * §11.2: CONNECT/CONNECTACK agreed on TLS; the handshake runs on the current link (this box is
   * the TLS server if it accepted the connection). Nothing is read meanwhile; afterwards the
   * reader starts afresh on the decrypted stream. Resolves true when the link is secured.
   */
  async upgrade(): Promise<boolean> {
    const link = this.#link;
    if (link?.startTls === undefined) {
      this.drop("TLS agreed but this box has no TLS material");
      return false;
    }
    this.#reader = undefined;
    try {
      await link.startTls(this.#incoming ? "server" : "client");
    } catch (e) {
      this.#h.metrics.rejectedConnections.inc({ reason: "tls" });
      this.#limited.warn("failover.tls_refused", {
        remote: link.remote,
        reason: e instanceof Error ? e.message : String(e),
      });
      if (this.#link === link) this.#lost(`TLS: ${e instanceof Error ? e.message : e}`);
      return false;
    }
    if (this.#link !== link) return false;
    this.#reader = new FrameReader(this.#codec());
    this.#secured = true;
    this.#lastRecvMs = this.#h.clock.monoMs();
    return true;
  }

  /** The xid of the last CONNECT sent on the current link (a CONNECTACK must echo it). */
  get connectXid(): number | undefined {
    return this.#connectXid;
  }
  #connectXid: number | undefined;

  /** A live, authenticated link: nothing from the partner's address may displace it. */
  #liveLink(): boolean {
    return this.#link !== undefined && this.#handshaken &&
      this.#h.clock.monoMs() - this.#lastRecvMs <= this.#h.fo.receiveTimerMs;
  }

  #refuse(link: PeerLink, reason: string, detail: string): void {
    this.#h.metrics.rejectedConnections.inc({ reason });
    this.#limited.warn("failover.connection_rejected", { remote: link.remote, reason: detail });
    link.close();
  }

  /**
   * §8.2: connections are accepted from the partner's address only, and wait as pending until
   * their first message; only a CONNECT makes one the link (#promote), so silent or garbage
   * connections never touch the real one.
   */
  #accept(link: PeerLink): void {
    const host = link.remote.replace(/:\d+$/, "");
    if (host !== this.#h.fo.partnerAddress && !link.remote.startsWith("memory-")) {
      return this.#refuse(link, "not-partner", "not the partner address");
    }
    if (this.#link !== undefined && this.#primary) {
      // A primary keeps the link it has (its own dial wins, see #connect).
      return link.close();
    }
    if (this.#liveLink()) {
      // A live, authenticated link stays; a second connection is refused (§7.9.2, reason 7).
      return this.#refuse(link, "duplicate", "a live link to the partner exists");
    }
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.values().next().value!;
      this.#h.metrics.rejectedConnections.inc({ reason: "pending-evicted" });
      this.#closePending(oldest);
    }
    const p: Pending = {
      link,
      reader: new FrameReader(this.#codec()),
      // A connection that has not sent its CONNECT within the receive timer is not a partner.
      timer: this.#h.clock.after(this.#h.fo.receiveTimerMs, () => {
        if (!this.#pending.has(p)) return;
        this.#h.metrics.rejectedConnections.inc({ reason: "no-handshake" });
        this.#closePending(p);
      }),
      bytes: 0,
      closedByUs: false,
    };
    this.#pending.add(p);
    link.start({
      data: (chunk) => {
        if (this.#pending.has(p)) this.#pendingData(p, chunk);
        else if (this.#link === link) this.#onData(chunk);
      },
      closed: (reason) => {
        if (this.#pending.delete(p)) this.#pendingClosed(p);
        else if (this.#link === link) this.#lost(reason);
      },
    });
  }

  #closePending(p: Pending): void {
    if (!this.#pending.delete(p)) return;
    p.timer.cancel();
    p.closedByUs = true;
    p.link.close();
  }

  /**
   * §8.2: a secondary's own connection to its partner is dropped without a byte; a secondary
   * whose incoming connections keep ending that way has a secondary for a partner.
   */
  #pendingClosed(p: Pending): void {
    p.timer.cancel();
    if (this.#primary || p.closedByUs) return;
    if (p.bytes > 0) {
      this.#silentHangups = 0;
      return;
    }
    if (++this.#silentHangups >= HANGUPS_TO_SUSPECT) this.#h.partnerHangsUp?.();
  }

  #pendingData(p: Pending, chunk: Uint8Array): void {
    p.bytes += chunk.length;
    const items = p.reader.push(chunk);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (!item.ok) {
        this.#h.metrics.badMessages.inc({ kind: item.error.kind });
        this.#limited.warn("failover.bad_message", {
          remote: p.link.remote,
          kind: item.error.kind,
          detail: item.error.message,
        });
        if (item.error.fatal) return this.#closePending(p);
        continue;
      }
      if (item.msg.kind !== "connect") {
        // §7.8-§7.9: nothing but CONNECT is acted on before the handshake, so an update
        // captured on another connection and replayed here never reaches the store.
        this.#h.metrics.rejectedConnections.inc({ reason: "before-handshake" });
        this.#limited.warn("failover.connection_rejected", {
          remote: p.link.remote,
          reason: `${item.msg.kind} before CONNECT`,
        });
        return this.#closePending(p);
      }
      if (this.#liveLink()) {
        this.#h.metrics.rejectedConnections.inc({ reason: "duplicate" });
        return this.#closePending(p);
      }
      this.#promote(p, items.slice(i));
      return;
    }
  }

  /** A pending connection sent CONNECT: it becomes the link (replacing one not live). */
  #promote(p: Pending, items: ReturnType<FrameReader["push"]>): void {
    this.#pending.delete(p);
    p.timer.cancel();
    if (this.#link !== undefined) this.drop("replaced by a connection that sent CONNECT");
    this.#attach(p.link, true, p.reader);
    this.#h.attached();
    this.#deliver(items);
  }

  #attach(link: PeerLink, incoming: boolean, reader?: FrameReader): void {
    this.#link = link;
    this.#incoming = incoming;
    this.#reader = reader ?? new FrameReader(this.#codec());
    this.#secured = false;
    this.#handshaken = false;
    this.#connectXid = undefined;
    this.#guard.newConnection();
    this.#lastRecvMs = this.#h.clock.monoMs();
    this.#lastSendMs = this.#lastRecvMs;
    this.#attachedMs = this.#lastRecvMs;
    this.#armLinkTimer();
    if (reader !== undefined) return; // a promoted connection: already started (#accept)
    link.start({
      data: (chunk) => {
        if (this.#link === link) this.#onData(chunk);
      },
      closed: (reason) => {
        if (this.#link === link) this.#lost(reason);
      },
    });
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
    this.#deliver(this.#reader?.push(chunk) ?? []);
  }

  #deliver(items: ReturnType<FrameReader["push"]>): void {
    const link = this.#link;
    for (const item of items) {
      if (!item.ok) {
        this.#h.metrics.badMessages.inc({ kind: item.error.kind });
        this.#limited.warn("failover.bad_message", {
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
      const m = item.msg;
      const fresh = this.#guard.check(m.kind, m.xid, m.timeSec, this.#h.clock.monoMs());
      if (!fresh.ok) {
        this.#h.metrics.refusedMessages.inc({ reason: fresh.reason });
        this.#limited.warn("failover.message_refused", {
          type: m.kind,
          xid: m.xid,
          reason: fresh.reason,
          behindSec: fresh.behindSec,
          message: fresh.reason === "stale"
            ? `time ${fresh.behindSec} s behind the partner's clock as followed on this link ` +
              "(a replayed message, or the partner's clock stepped back): not acted on; the " +
              "link is dropped"
            : "the same message type and xid twice on one connection (a replay): not acted on",
        });
        if (fresh.reason === "stale") {
          this.drop("stale message time");
          return;
        }
        continue;
      }
      if (fresh.steppedSec !== undefined) {
        this.#h.log.info("failover.partner_clock_stepped", { forwardSec: fresh.steppedSec });
      }
      this.#h.metrics.received.inc({ type: m.kind });
      this.#h.message(m);
      if (this.#link !== link || link === undefined) return;
    }
  }
}
