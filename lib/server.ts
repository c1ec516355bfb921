/**
 * The DHCP runtime loop: receive -> decode -> handle -> persist (one transaction per batch) ->
 * send -> tell failover. ARCHITECTURE.md invariant 2: a DHCPACK leaves only after the
 * transaction holding its lease has committed; if the commit fails, no reply of that batch is
 * sent (the clients retry).
 */
import type { Config } from "./config/config.ts";
import type { LeaseStore, LeaseView } from "./lease/store.ts";
import type { Lease } from "./lease/lease.ts";
import type { LeaseOp } from "./lease/ops.ts";
import { PendingView } from "./lease/pending_view.ts";
import type { Clock } from "./platform/clock.ts";
import type { Datagram, DatagramTransport } from "./platform/udp.ts";
import type { EventLog } from "./platform/log.ts";
import type { DhcpMetrics } from "./dhcp_metrics.ts";
import type { ServingScope } from "./dhcp/scope.ts";
import type { Decision, Destination } from "./dhcp/decision.ts";
import { handle } from "./dhcp/handle.ts";
import { reclaimExpired } from "./dhcp/reclaim.ts";
import { decodeDhcp, encodeDhcp } from "./wire/dhcp_message.ts";
import { broadcastOf, formatIpv4 } from "./wire/ipv4.ts";
import { MSG_NAMES } from "./wire/option_registry.ts";

const RECLAIM_INTERVAL_MS = 10_000;
/** Upper bound on packets handled per transaction, so one commit never grows unbounded. */
const MAX_BATCH = 512;
/**
 * How long the first packet of a batch waits for company. Each commit costs an fsync; waiting
 * 8 ms lets one fsync cover the packets of those 8 ms instead of a few each (measured: batches
 * of ~3 packets and half the time in fsync at 2,500 DORA/s without it). DHCP clients wait
 * seconds before retransmitting, so 8 ms of latency costs nothing.
 */
const BATCH_WINDOW_MS = 8;

export interface ServerDeps {
  readonly config: Config;
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly transport: DatagramTransport;
  readonly log: EventLog;
  readonly metrics: DhcpMetrics;
  /** The current serving scope (failover changes it with its state). */
  readonly scope: () => ServingScope;
  /** Called after each commit with the lease records it changed (failover sends BNDUPDs). */
  readonly onCommitted?: (changed: readonly Lease[]) => void;
  /** Rewrites a batch's ops before commit (failover marks them for the partner). */
  readonly prepareOps?: (
    ops: readonly LeaseOp[],
    view: LeaseView,
    scope: ServingScope,
    nowSec: number,
  ) => LeaseOp[];
}

interface Pending {
  readonly reply: Uint8Array;
  readonly ip: string;
  readonly port: number;
  readonly type: string;
}

export class DhcpServer {
  readonly #d: ServerDeps;
  #queue: Datagram[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  #stopped = false;
  #reclaimTimer: { cancel(): void } | undefined;
  readonly #logLimiter = new Map<string, { windowStartMs: number; n: number }>();

  readonly #broadcastIp: string;

  constructor(deps: ServerDeps) {
    this.#d = deps;
    const direct = deps.config.subnets.find((s) => s.direct);
    this.#broadcastIp = deps.config.dhcp.broadcastAddress ??
      (direct === undefined ? "255.255.255.255" : formatIpv4(broadcastOf(direct.cidr)));
  }

  /** Serves until stop(); resolves when the socket closes. */
  async run(): Promise<void> {
    this.#scheduleReclaim();
    await this.#d.transport.run((d) => this.#enqueue(d));
  }

  /** Stops receiving, finishes the batch in flight (its commit and replies), then returns. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reclaimTimer?.cancel();
    this.#d.transport.close();
    await this.#flushing;
  }

  /** Applies ops outside the packet path (the expiry sweep), told to failover like packets. */
  async applyOps(raw: readonly LeaseOp[]): Promise<void> {
    if (raw.length === 0) return;
    const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
    const ops = this.#d.prepareOps?.(raw, this.#d.store, this.#d.scope(), nowSec) ?? raw;
    await this.#d.store.commit(ops);
    this.#notify(ops);
  }

  #enqueue(d: Datagram): void {
    if (this.#stopped) return;
    this.#queue.push(d);
    if (!this.#scheduled) this.#enqueueTimer();
  }

  #enqueueTimer(): void {
    this.#scheduled = true;
    this.#d.clock.after(BATCH_WINDOW_MS, () => {
      this.#flushing = this.#flushing.then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      await this.#processBatch(batch);
      // Packets that came meanwhile wait for the next window unless a full batch is ready.
      if (this.#queue.length < MAX_BATCH) break;
    }
    this.#scheduled = false;
    if (this.#queue.length > 0) this.#enqueueTimer();
  }

  async #processBatch(batch: readonly Datagram[]): Promise<void> {
    const { config, store, metrics } = this.#d;
    const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
    const view = new PendingView(store);
    const scope = this.#d.scope();
    const ops: LeaseOp[] = [];
    const out: Pending[] = [];
    for (const d of batch) {
      const decoded = decodeDhcp(d.data);
      if (!decoded.ok) {
        metrics.drops.inc({ reason: "malformed" });
        this.#limitedLog("dhcp.drop.malformed", {
          from: d.fromIp,
          kind: decoded.error.kind,
          offset: decoded.error.offset,
          detail: decoded.error.message,
        });
        continue;
      }
      const packet = decoded.packet;
      metrics.packetsIn.inc({ type: MSG_NAMES[packet.options.get(53)?.[0] ?? 0] ?? "other" });
      const decision: Decision = handle(packet, { config, leases: view, nowSec, scope });
      if (decision.kind === "drop") {
        metrics.drops.inc({ reason: decision.reason });
        this.#d.log.debug("dhcp.drop", { reason: decision.reason, xid: packet.xid });
        continue;
      }
      const decided = this.#d.prepareOps?.(decision.ops, view, scope, nowSec) ?? decision.ops;
      view.add(decided);
      ops.push(...decided);
      if (decision.kind === "reply") {
        const bytes = encodeDhcp(decision.reply, {
          maxMessageSize: decision.maxMessageSize,
          parameterOrder: decision.parameterOrder,
        });
        const to = this.#route(decision.to, d);
        out.push({ reply: bytes, ip: to.ip, port: to.port, type: decision.replyType });
      }
    }
    if (ops.length > 0) {
      const t0 = performance.now();
      try {
        await store.commit(ops);
      } catch (e) {
        // Invariant 2: nothing of this batch was acknowledged; clients will retransmit.
        metrics.commitFailures.inc();
        this.#d.log.error("store.commit_failed", { error: String(e), packets: batch.length });
        return;
      }
      metrics.commitSeconds.observe((performance.now() - t0) / 1000);
      metrics.batchSize.observe(batch.length);
    }
    await Promise.all(out.map((p) => this.#send(p)));
    this.#notify(ops);
  }

  #notify(ops: readonly LeaseOp[]): void {
    if (this.#d.onCommitted === undefined) return;
    const changed: Lease[] = [];
    for (const op of ops) {
      if (op.kind === "put") {
        const l = this.#d.store.get(op.lease.ip);
        if (l !== undefined) changed.push(l);
      }
    }
    if (changed.length > 0) this.#d.onCommitted(changed);
  }

  async #send(p: Pending): Promise<void> {
    try {
      await this.#d.transport.send(p.reply, p.ip, p.port);
      this.#d.metrics.packetsOut.inc({ type: p.type });
    } catch (e) {
      this.#d.metrics.sendErrors.inc();
      this.#limitedLog("dhcp.send_failed", { to: p.ip, port: p.port, error: String(e) });
    }
  }

  /** RFC 2131 §4.1 destinations onto this socket. */
  #route(to: Destination, from: Datagram): { ip: string; port: number } {
    const { dhcp } = this.#d.config;
    switch (to.kind) {
      case "relay": {
        const ip = formatIpv4(to.ip);
        // Relays send from port 67; a relay (or test harness) on another port gets its reply there.
        return { ip, port: from.fromIp === ip ? from.fromPort : 67 };
      }
      case "unicast":
        return { ip: formatIpv4(to.ip), port: dhcp.clientPort };
      case "broadcast":
      case "link-unicast":
        // No raw sockets: "If unicasting is not possible, the message MAY be sent as an IP
        // broadcast" (RFC 2131 §4.1).
        return { ip: this.#broadcastIp, port: dhcp.clientPort };
    }
  }

  #scheduleReclaim(): void {
    this.#reclaimTimer = this.#d.clock.after(RECLAIM_INTERVAL_MS, () => {
      if (this.#stopped) return;
      this.#flushing = this.#flushing.then(async () => {
        const nowSec = Math.floor(this.#d.clock.nowMs() / 1000);
        try {
          const ops = reclaimExpired(this.#d.store, nowSec, 1000);
          if (ops.length > 0) {
            await this.applyOps(ops);
            this.#d.log.info("dhcp.reclaim", { leases: ops.length });
          }
        } catch (e) {
          this.#d.log.error("dhcp.reclaim_failed", { error: String(e) });
        }
      });
      this.#scheduleReclaim();
    });
  }

  /** At most 10 lines per second per event id, so a packet flood cannot flood the log. */
  #limitedLog(event: string, props: Record<string, unknown>): void {
    const now = this.#d.clock.nowMs();
    const s = this.#logLimiter.get(event) ?? { windowStartMs: now, n: 0 };
    if (now - s.windowStartMs >= 1000) {
      if (s.n > 10) this.#d.log.warn("log.suppressed", { event, lines: s.n - 10 });
      s.windowStartMs = now;
      s.n = 0;
    }
    s.n++;
    this.#logLimiter.set(event, s);
    if (s.n <= 10) this.#d.log.warn(event, props);
  }
}
