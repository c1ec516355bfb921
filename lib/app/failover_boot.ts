/**
 * Composes the failover peer for a primary or secondary box: the TCP network, the peer, the
 * serving scope the DHCP core follows, and the /status, /readyz and /metrics parts.
 */
import { nativeHmacSha256With, sha256Hex } from "../platform/hmac_native.ts";
import type { Config, FailoverConfig } from "../config/config.ts";
import type { LeaseStore } from "../lease/store.ts";
import type { Registry } from "../http/metrics.ts";
import type { ServingScope } from "../dhcp/scope.ts";
import type { ReadyState } from "../http/routes.ts";
import { FailoverPeer } from "../failover/peer.ts";
import { failoverMetrics } from "../failover/failover_metrics.ts";
import { secondaryShareOf, servingScope } from "../failover/serving.ts";
import { configFingerprint } from "../failover/fingerprint.ts";
import { markForPartner } from "../failover/lease_sync.ts";
import { SERVER_STATES } from "../failover/options.ts";
import type { LeaseOp } from "../lease/ops.ts";
import type { LeaseView } from "../lease/store.ts";
import type { Clock } from "../clock.ts";
import type { EventLog } from "../event_log.ts";
import type { PeerNetwork } from "../failover/peer_link.ts";
import { poolSize } from "./status.ts";
import { PartnerScopes, scopeTextOf } from "./partner_scopes.ts";
import { partnerPoolUsableSec } from "../failover/mclt.ts";

/** States in which this box answers at least some DHCP clients (serving.ts answers()). */
const SERVING = new Set([
  "normal",
  "communications-interrupted",
  "partner-down",
  "resolution-interrupted",
  "conflict-done",
  "recover-done",
]);

export interface FailoverParts {
  readonly peer: FailoverPeer;
  scope(): ServingScope;
  prepareOps(
    ops: readonly LeaseOp[],
    view: LeaseView,
    scope: ServingScope,
    nowSec: number,
  ): LeaseOp[];
  ready(): ReadyState;
  status(): Record<string, unknown>;
  /**
   * New scopes in force on this box (a reload on the primary): the DHCP core's scope, the pool
   * counts and the fingerprint follow, and the partner is told (the secondary takes them).
   */
  setConfig(next: Config): void;
}

export function composeFailover(
  config: Config,
  fo: FailoverConfig,
  store: LeaseStore,
  clock: Clock,
  net: PeerNetwork,
  registry: Registry,
  log: EventLog,
  opts: {
    readonly newPair?: boolean;
    /** Puts a config taken from the partner in force outside failover (DHCP core, reload). */
    readonly applyConfig?: (next: Config) => void | Promise<void>;
  } = {},
): FailoverParts {
  const metrics = failoverMetrics(registry);
  let cfg = config;
  let fingerprint = configFingerprint(cfg, sha256Hex);
  let scope: ServingScope | undefined;
  const partnerScopes = new PartnerScopes({
    log,
    store,
    nowSec: () => Math.floor(clock.nowMs() / 1000),
    config: () => cfg,
    apply: async (next) => {
      setConfig(next);
      await opts.applyConfig?.(next);
    },
  });
  const peer = new FailoverPeer({
    config,
    fo,
    store,
    clock,
    net,
    log,
    metrics,
    fingerprint,
    scopeText: () => scopeTextOf(cfg),
    onPartnerScopes: (text) => {
      partnerScopes.received(text).catch((e) =>
        log.error("failover.scopes_rejected", { problem: String(e) })
      );
    },
    onStateChange: () => (scope = undefined),
    ...(opts.newPair === true ? { newPair: true } : {}),
    digestWith: nativeHmacSha256With,
    firstXid: 1 + (crypto.getRandomValues(new Uint32Array(1))[0]! % 0x7fff_0000),
  });
  // A partner that is connected but not answering its clients: their secs keep rising past
  // load_balance_max_secs, so this box answers them (serving.ts) and notes it here.
  let lastUnansweredMs = -Infinity;
  const PARTNER_SILENT_WINDOW_MS = 10_000;
  const partnerAnswering = () => clock.monoMs() - lastUnansweredMs > PARTNER_SILENT_WINDOW_MS;
  const watch = (inner: ServingScope): ServingScope => ({
    ...inner,
    answers(hashKey, secs, kind) {
      const yes = inner.answers(hashKey, secs, kind);
      if (
        yes && kind === "new" && peer.snapshot.state === "normal" && fo.loadBalanceMaxSecs > 0 &&
        secs > fo.loadBalanceMaxSecs && !inner.answers(hashKey, 0, kind)
      ) {
        if (partnerAnswering()) {
          log.warn("failover.partner_not_answering", {
            secs,
            fix: "check the partner's DHCP socket, relay configuration and logs",
          });
        }
        lastUnansweredMs = clock.monoMs();
        metrics.partnerSlowClients.inc();
      }
      return yes;
    },
  });
  // An unsafe pair (peer.pairProblem) gives no address to a new client: two primaries would
  // both allocate from FREE, two secondaries from BACKUP, two scopes disagree on ownership.
  // Existing bindings are still renewed (their owner is not in doubt).
  const renewOnly = (inner: ServingScope): ServingScope => ({
    ...inner,
    answers: (hashKey, secs, kind) => kind === "renew" && inner.answers(hashKey, secs, kind),
  });
  // Different scopes (until the secondary has taken the primary's) also serve renewals only:
  // the two boxes would disagree about whose address is whose.
  const current = (): ServingScope =>
    scope ??=
      (peer.pairProblem === undefined && peer.fingerprintMatches !== false ? watch : renewOnly)(
        servingScope(
          peer.snapshot,
          fo,
          cfg.subnets,
          Math.floor(clock.nowMs() / 1000),
          peer.primaryHba === undefined ? {} : { primaryHba: peer.primaryHba },
        ),
      );
  registry.gauge(
    "tandem_failover_state",
    "1 for this server's current failover state.",
    () => SERVER_STATES.map((s) => [{ state: s }, peer.snapshot.state === s ? 1 : 0] as const),
  );
  registry.gauge(
    "tandem_failover_partner_state",
    "1 for the partner's last known state.",
    () =>
      [...SERVER_STATES, "unknown"].map((s) =>
        [{ state: s }, peer.snapshot.partner.state === s ? 1 : 0] as const
      ),
  );
  registry.gauge(
    "tandem_relay_one_sided",
    "1 per relay (giaddr) and subnet heard by one box of the pair only for longer than " +
      "relay_alarm_sec: that relay lacks the other box as a helper address.",
    () =>
      peer.relayAlarms.map((o) =>
        [{ relay: o.relay, subnet: String(o.subnetId), heard_by: o.heardBy }, 1] as const
      ),
  );
  registry.gauge(
    "tandem_failover_connected",
    "1 while the partner link is up and handshaken.",
    () => [[{}, peer.connected ? 1 : 0]],
  );
  registry.gauge(
    "tandem_failover_unacked_updates",
    "BNDUPD messages awaiting BNDACK.",
    () => [[{}, peer.queueInFlight]],
  );
  registry.gauge(
    "tandem_failover_backlog",
    "Binding updates queued for the partner.",
    () => [[{}, peer.queueWaiting]],
  );
  registry.gauge(
    "tandem_failover_last_contact_age_seconds",
    "Seconds since the partner was last heard.",
    () => [[{}, (peer.lastContactAgeMs ?? -1000) / 1000]],
  );
  registry.gauge(
    "tandem_failover_config_match",
    "1 when the partner's scope config fingerprint equals ours, 0 when not, -1 unknown.",
    () => [[{}, peer.fingerprintMatches === undefined ? -1 : peer.fingerprintMatches ? 1 : 0]],
  );
  // Pool ownership for /status: the config fixes how many addresses each side owns (counted
  // once); the records in use are counted at most every POOL_COUNT_MS, so a monitor polling
  // /status never walks the pool on the packet path's thread.
  const POOL_COUNT_MS = 5000;
  const owned = { free: 0, backup: 0 };
  const countOwned = () => {
    owned.free = 0;
    owned.backup = 0;
    for (const sub of cfg.subnets) {
      for (const p of sub.pools) {
        const size = poolSize(p);
        const backupShare = Math.floor((size * secondaryShareOf(fo)) / 100);
        owned.backup += backupShare;
        owned.free += size - backupShare;
      }
    }
  };
  countOwned();
  let counted: { atMs: number; free: number; backup: number } | undefined;
  const poolCounts = () => {
    const now = clock.monoMs();
    if (counted !== undefined && now - counted.atMs < POOL_COUNT_MS) return counted;
    let free = owned.free, backup = owned.backup;
    const sc = current();
    store.forEachState((ip, subnetId, state) => {
      if (state === "free" || state === "backup") return; // still available
      if (sc.defaultState(ip, subnetId) === "backup") backup--;
      else free--;
    });
    counted = { atMs: now, free: Math.max(0, free), backup: Math.max(0, backup) };
    return counted;
  };
  function setConfig(next: Config): void {
    cfg = next;
    fingerprint = configFingerprint(next, sha256Hex);
    countOwned();
    counted = undefined;
    scope = undefined;
    peer.setScopes(next, fingerprint);
  }
  return {
    peer,
    scope: current,
    setConfig,
    prepareOps: (ops, view, s, nowSec) => markForPartner(ops, view, s, cfg, nowSec),
    ready() {
      const reasons: string[] = [];
      const st = peer.snapshot.state;
      if (peer.inMaintenance) {
        reasons.push("in maintenance (`tandem maintenance stop` returns it): the partner serves");
      } else if (!SERVING.has(st)) reasons.push(`failover state ${st} serves no clients`);
      if (peer.pairProblem !== undefined) {
        reasons.push(`unsafe pair, serving renewals only: ${peer.pairProblem}`);
      } else if (peer.fingerprintMatches === false) {
        const keys = partnerScopes.differs;
        reasons.push(
          "scope configuration differs from the partner's" +
            (keys.length > 0 ? ` (${keys.join(", ")})` : " (see /status failover.config)") +
            ": serving renewals only until the secondary has the primary's scopes",
        );
      }
      return { ready: reasons.length === 0, reasons };
    },
    status() {
      const s = peer.snapshot;
      const { free, backup } = poolCounts();
      return {
        role: s.role,
        mode: fo.mode,
        state: s.state,
        since_sec: s.sinceSec,
        maintenance: peer.inMaintenance,
        partner_state: s.partner.state,
        partner_since_sec: s.partner.sinceSec,
        connected: peer.connected,
        // draft §11: how the peer channel is protected, and whether the current link is TLS.
        partner: fo.partner,
        authentication: fo.authentication,
        tls: fo.tls === undefined ? "off" : "required",
        link_tls: peer.connected && peer.linkSecured,
        partner_answering_clients: partnerAnswering(),
        last_contact_age_ms: peer.lastContactAgeMs ?? null,
        unacked_updates: peer.queueInFlight,
        backlog: peer.queueWaiting,
        mclt_sec: s.mcltSec,
        // Times for `tandem status` (status_format.ts): epoch seconds on this box's clock.
        now_sec: Math.floor(clock.nowMs() / 1000),
        recover_wait_until_sec: s.state === "recover-wait" ? s.recoverWaitUntilSec : null,
        partner_down_since_sec: s.partnerDownSec,
        partner_pool_usable_sec: s.partnerDownSec === null
          ? null
          : partnerPoolUsableSec(s.partnerDownSec, s.mcltSec),
        comm_interrupted_since_sec: s.state === "communications-interrupted"
          ? s.commInterruptedSec
          : null,
        auto_partner_down_sec: s.safePeriodSec,
        pair_problem: peer.pairProblem ?? null,
        // Relays that forward to one box only (a warning: /readyz is not affected).
        relay_coverage: peer.relayAlarms.map((o) => ({
          relay: o.relay,
          subnet: o.subnetId,
          heard_by: o.heardBy,
          since_sec: o.sinceSec,
          problem: o.text,
        })),
        pool: { free, backup },
        config: {
          fingerprint: fingerprint,
          // The scopes' version is their fingerprint; a secondary's come from its primary.
          version: fingerprint.slice(0, 8),
          scopes: partnerScopes.source(),
          partner_fingerprint: peer.partnerFingerprint ?? null,
          match: peer.fingerprintMatches ?? null,
          // The scope keys that differ from the partner's (issue #12 item 2), while they do.
          differs: peer.fingerprintMatches === false ? partnerScopes.differs : [],
        },
      };
    },
  };
}
