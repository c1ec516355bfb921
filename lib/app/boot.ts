/**
 * Builds a running Tandem from a validated Config: lease store, DHCP socket, HTTP endpoint,
 * signals. main.ts calls it; in-process tests call it too (with port 0 and a temp state dir).
 */
import type { Config } from "../config/config.ts";
import { SqliteLeaseStore } from "../platform/sqlite_store.ts";
import { Registry } from "../http/metrics.ts";
import { httpHandler, type ReadyState } from "../http/routes.ts";
import { commitHooks, dhcpMetrics } from "./dhcp_metrics.ts";
import { PoolWatch } from "./pool_watch.ts";
import { DhcpServer } from "./server.ts";
import { STANDALONE_SCOPE } from "../dhcp/scope.ts";
import { statusDocument } from "./status.ts";
import { systemClock } from "../platform/clock.ts";
import { type Clock, SteadyClock } from "../clock.ts";
import { ClockWatch } from "./clock_watch.ts";
import { openDhcpSocket } from "../platform/dhcp_socket.ts";
import { trimMallocHeap } from "../platform/malloc_trim.ts";
import { registerProcessMetrics } from "../platform/process_metrics.ts";
import { type HttpServerHandle, serveHttp } from "../platform/http_server.ts";
import { acquireStateLock } from "../platform/state_lock.ts";
import { eventLog } from "../platform/log.ts";
import { type EventLog } from "../event_log.ts";
import { VERSION } from "../version.ts";
import { composeFailover, type FailoverParts } from "./failover_boot.ts";
import { tcpPeerNetwork } from "../platform/tcp.ts";
import { loadTlsMaterial } from "../platform/peer_tls.ts";
import type { PeerNetwork } from "../failover/peer_link.ts";
import { listening } from "../platform/listen_error.ts";
import type { DatagramTransport } from "../platform/udp.ts";
import { reloader, type ReloadResult } from "./reload.ts";
import { withStoredScopes } from "./partner_scopes.ts";
import { findLeases } from "../lease/find.ts";
import { leaseJson } from "./leases_command.ts";

export interface Running {
  readonly dhcpPort: number;
  readonly httpPort: number;
  readonly store: SqliteLeaseStore;
  readonly registry: Registry;
  readonly failover: FailoverParts | undefined;
  /** Resolves when the DHCP loop ends. */
  readonly done: Promise<void>;
  /** Graceful stop: finish the commit in flight, send its replies, close everything. */
  stop(): Promise<void>;
  /**
   * Reads the config again (BootOptions.reloadSource) and applies what may change live
   * (reload_plan.ts); otherwise the running config stays, and the reason is returned. SIGHUP,
   * `tandem reload` and POST /reload all come here.
   */
  reload(): Promise<ReloadResult>;
}

export interface BootOptions {
  readonly clock?: Clock;
  readonly log?: EventLog;
  /** The partner network (default: TCP per the [failover] section). */
  readonly peerNetwork?: PeerNetwork;
  /** `tandem run --new-pair`: commission a brand-new pair (BootParams.newPair). */
  readonly newPair?: boolean;
  /** After a failed commit or fsync (default: exit STORE_FATAL_EXIT). For in-process tests. */
  readonly onFatal?: (e: unknown) => void;
  /** Reads and validates the config file again, for reload(); throws ConfigError. */
  readonly reloadSource?: () => Promise<Config>;
  /** Applies a reloaded [log] level. */
  readonly onLogLevel?: (level: Config["logLevel"]) => Promise<void> | void;
}

/** Exit status after a failed commit or fsync: sysexits EX_IOERR. */
export const STORE_FATAL_EXIT = 74;

export const DB_FILE = "leases.db";

/** Another server holds the state directory (state_lock.ts). */
export class StateLocked extends Error {
  override name = "StateLocked";
}

/** `--new-pair` on a box whose store is not empty. */
export class NewPairRefused extends Error {
  override name = "NewPairRefused";
}

export async function boot(fileConfig: Config, opts: BootOptions = {}): Promise<Running> {
  let config = fileConfig;
  // Tandem's time base from this start: a system clock step moves no stored time (lib/clock.ts).
  const clock: Clock = opts.clock ?? new SteadyClock(systemClock);
  const steady = clock instanceof SteadyClock ? clock : undefined;
  const log = opts.log ?? eventLog("dhcp");
  // [failover.tls] files are read first: a missing one stops the start with its key named.
  const tlsFiles = config.role === "standalone" ? undefined : config.failover?.tls;
  const tlsMaterial = tlsFiles === undefined ? undefined : await loadTlsMaterial(tlsFiles);
  await Deno.mkdir(config.stateDir, { recursive: true });
  const lock = acquireStateLock(config.stateDir);
  if (lock.ok === false) throw new StateLocked(lock.message);
  if (lock.ok === "unavailable") {
    log.warn("store.lock_unavailable", {
      message: "no FFI here: a second server on this state directory would not be refused",
    });
  }
  const unlock = () => lock.ok === true && lock.release();
  const dbPath = `${config.stateDir}/${DB_FILE}`;
  let store: SqliteLeaseStore;
  try {
    store = SqliteLeaseStore.open(dbPath, {
      asyncFsync: true,
      commitWindowMs: config.commitWindowMs,
      history: config.historyDays > 0,
    });
  } catch (e) {
    unlock();
    throw e;
  }
  // A Tandem secondary serves the scopes it last took from its primary (partner_scopes.ts).
  config = withStoredScopes(config, store, eventLog("failover"));
  const registry = new Registry();
  registerProcessMetrics(registry);
  let current = config; // replaced by reload() and by the primary's scopes
  const metrics = dhcpMetrics(registry, () => current, store);
  // Every lease write while serving goes through store.commit: decided in the index at once,
  // durable in group commits behind it (lib/lease/group_commit.ts). A failed commit or fsync
  // stops this process (commitHooks); systemd restarts it from what is on disk.
  let halt = (): void => {};
  const fatal = (e: unknown) => {
    halt();
    if (opts.onFatal !== undefined) return opts.onFatal(e);
    Deno.exit(STORE_FATAL_EXIT);
  };
  store.hooks = commitHooks(metrics, log, () => performance.now(), fatal);
  const fo = config.role === "standalone" ? undefined : config.failover;
  let failover: FailoverParts | undefined;
  if (fo !== undefined) {
    const net = opts.peerNetwork ??
      tcpPeerNetwork(fo.myAddress, fo.myPort, fo.partnerAddress, fo.partnerPort, tlsMaterial);
    const records = store.size();
    if (opts.newPair === true && records > 0) {
      store.close();
      unlock();
      throw new NewPairRefused(
        `--new-pair refused: ${dbPath} holds ${records} lease records, so this box may ` +
          "have handed out addresses its partner does not know of; start it without --new-pair " +
          "(it recovers from its partner and waits MCLT before serving new clients)",
      );
    }
    failover = composeFailover(
      config,
      fo,
      store,
      clock,
      net,
      registry,
      eventLog("failover"),
      {
        ...(opts.newPair === true ? { newPair: true } : {}),
        applyConfig: (next) => applyLive(next),
      },
    );
  }
  // A socket that cannot be opened (listen_error.ts) undoes what boot did so far.
  const abandon = async (e: unknown, transport?: DatagramTransport): Promise<never> => {
    failover?.peer.stop();
    transport?.close();
    await store.drain().catch(() => {}); // the failover record written at construction
    store.close();
    unlock();
    throw e;
  };
  let transport: DatagramTransport;
  try {
    transport = listening(
      "dhcp",
      config.dhcp.address,
      config.dhcp.port,
      () => openDhcpSocket(config.dhcp.address, config.dhcp.port, log),
    );
  } catch (e) {
    return await abandon(e);
  }
  const poolWatch = new PoolWatch(config, log);
  registry.gauge(
    "tandem_pool_low",
    "1 while a subnet's available addresses are below pool_low_percent of its pools.",
    () => current.subnets.map((s) => [{ subnet: String(s.id) }, poolWatch.low(s.id) ? 1 : 0]),
  );
  const server = new DhcpServer({
    config,
    store,
    poolWatch,
    clock,
    transport,
    log,
    metrics,
    scope: failover?.scope ?? (() => STANDALONE_SCOPE),
    ...(failover === undefined ? {} : {
      prepareOps: failover.prepareOps,
      onCommitted: (changed) => failover.peer.leasesCommitted(changed),
      relayHeard: (giaddr) => failover.peer.relayHeard(giaddr),
    }),
  });
  halt = () => {
    server.halt();
    failover?.peer.stop();
  };
  const startedMs = clock.nowMs();
  let stopping = false;
  const ready = (): ReadyState =>
    stopping
      ? { ready: false, reasons: ["shutting down"] }
      : failover?.ready() ?? { ready: true, reasons: [] };
  /** A new config in force for the DHCP core (a reload, or the primary's scopes). */
  const applyLive = async (next: Config) => {
    if (next.logLevel !== current.logLevel) await opts.onLogLevel?.(next.logLevel);
    current = next;
    server.setConfig(next);
    poolWatch.config = next;
  };
  const source = opts.reloadSource;
  const reload = reloader({
    log,
    // A secondary's file is read with the scopes it took from its primary.
    ...(source === undefined ? {} : {
      source: async () => withStoredScopes(await source(), store, eventLog("failover")),
    }),
    current: () => current,
    apply: async (next) => {
      await applyLive(next);
      failover?.setConfig(next); // a primary's new scopes go to its secondary
    },
  });
  const handler = httpHandler({
    nowMs: () => clock.nowMs(),
    metrics: registry,
    ready,
    status: () =>
      statusDocument(
        current,
        store,
        Math.floor((clock.nowMs() - startedMs) / 1000),
        failover?.status(),
      ),
    ...(failover === undefined ? {} : {
      partnerDown: () => failover.peer.partnerDown(),
      maintenance: async (action: "start" | "stop") => {
        const r = action === "start"
          ? await failover.peer.maintenanceStart()
          : failover.peer.maintenanceStop();
        log.info(`failover.maintenance_${action}`, { ok: r.ok, result: r.message });
        return r;
      },
    }),
    reload,
    leases: {
      find: (q) => findLeases(store, q).map(leaseJson),
      command: (cmd) => server.leaseCommand(cmd),
    },
    ...(config.http.adminToken === undefined ? {} : { adminToken: config.http.adminToken }),
  });
  let http: HttpServerHandle;
  try {
    failover?.peer.start(); // opens the failover listener
    http = listening(
      "http",
      config.http.address,
      config.http.port,
      () => serveHttp(config.http.address, config.http.port, handler),
    );
  } catch (e) {
    return await abandon(e, transport);
  }
  log.info("tandem.started", {
    version: VERSION,
    role: config.role,
    dhcp: `${config.dhcp.address}:${transport.port}`,
    http: `${config.http.address}:${http.port}`,
    db: dbPath,
    leases: store.size(),
  });
  // Lease history older than [store] history_days goes, at start and then hourly.
  const pruneHistory = () => {
    if (current.historyDays === 0) return;
    const before = Math.floor(clock.nowMs() / 1000) - current.historyDays * 86_400;
    const pruned = store.pruneHistory(before);
    if (pruned > 0) log.info("store.history_pruned", { rows: pruned, days: current.historyDays });
  };
  pruneHistory();
  const pruneTimer = setInterval(pruneHistory, 3_600_000);
  const clockWatch = steady === undefined ? undefined : new ClockWatch(steady, log, registry);
  const clockTimer = clockWatch && setInterval(() => clockWatch.check(), 10_000);
  const done = server.run();
  trimMallocHeap(); // what hydration freed goes back to the OS (malloc_trim.ts)
  let stopped: Promise<void> | undefined;
  return {
    dhcpPort: transport.port,
    httpPort: http.port,
    store,
    registry,
    failover,
    done,
    reload,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(pruneTimer);
        clearInterval(clockTimer);
        await server.stop();
        if (failover !== undefined) {
          // §9.14: tell the partner before going, so it takes over at once.
          log.info("failover.handover", { result: await failover.peer.handover() });
          failover.peer.stop();
        }
        await store.drain(); // the failover's last writes (recorded BNDACKs)
        await done.catch(() => {});
        await http.shutdown();
        store.close();
        unlock();
        log.info("tandem.stopped", {});
      })();
      return stopped;
    },
  };
}
