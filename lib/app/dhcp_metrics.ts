/**
 * The DHCP server's metrics, named once. Event ids in logs match the label values here.
 */
import type { CommitHooks } from "../lease/group_commit.ts";
import type { EventLog } from "../event_log.ts";
import type { Registry } from "../http/metrics.ts";
import type { LeaseView } from "../lease/store.ts";
import type { Config } from "../config/config.ts";
import { BINDING_STATES } from "../lease/lease.ts";
import { subnetStatus } from "./status.ts";
import { VERSION } from "../version.ts";

/** current: the running config (a reload replaces it). */
export function dhcpMetrics(reg: Registry, current: () => Config, leases: LeaseView) {
  reg.gauge(
    "tandem_leases",
    "Stored lease records (not addresses: see tandem_pool_addresses) by binding state " +
      "(draft-ietf-dhc-failover-12 names) per subnet.",
    function* () {
      for (const s of current().subnets) {
        const counts = leases.countByState(s.id);
        for (const st of BINDING_STATES) {
          yield [{ subnet: String(s.id), state: st }, counts[st]] as const;
        }
      }
    },
  );
  // The same numbers as /status (status.ts subnetStatus): addresses, not records, so
  // utilisation graphs as active / size and alerts on available.
  reg.gauge(
    "tandem_pool_addresses",
    "Pool addresses per subnet: size, and how many are active, available (free), the " +
      "secondary's reserve (backup) or abandoned; the same figures as /status.",
    function* () {
      for (const s of subnetStatus(current(), leases)) {
        const subnet = String(s.id);
        yield [{ subnet, state: "size" }, s.pool_size] as const;
        yield [{ subnet, state: "active" }, s.active] as const;
        yield [{ subnet, state: "free" }, s.free] as const;
        yield [{ subnet, state: "backup" }, s.backup] as const;
        yield [{ subnet, state: "abandoned" }, s.abandoned] as const;
      }
    },
  );
  reg.gauge(
    "tandem_build_info",
    "1, labelled with the running version.",
    () => [[{ version: VERSION }, 1]],
  );
  return {
    packetsIn: reg.counter("tandem_dhcp_packets_received_total", "DHCP packets received by type."),
    packetsOut: reg.counter("tandem_dhcp_packets_sent_total", "DHCP replies sent by type."),
    drops: reg.counter("tandem_dhcp_drops_total", "Packets dropped without reply, by reason."),
    sendErrors: reg.counter("tandem_dhcp_send_errors_total", "Replies the socket failed to send."),
    commitFailures: reg.counter(
      "tandem_store_commit_failures_total",
      "Batches whose transaction failed; their replies were not sent.",
    ),
    batchSize: reg.histogram(
      "tandem_store_commit_batch_packets",
      "Packets per group commit (one transaction, one fsync).",
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    ),
    commitSeconds: reg.histogram(
      "tandem_store_commit_seconds",
      "Time to commit one batch durably (fsync included).",
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
  };
}

export type DhcpMetrics = ReturnType<typeof dhcpMetrics>;

/**
 * The group commit's hooks (lib/lease/group_commit.ts): commit latency, packets per
 * transaction, and failure. A failed
 * COMMIT or fsync is fatal: after a failed fsync the kernel may have dropped the dirty pages
 * (PostgreSQL's 2018 "fsyncgate"), so the in-memory index may be ahead of the disk. Nothing of
 * the failed group was sent (its ACKs and BNDACKs wait for it); `fatal` stops the process, and
 * the service manager restarts it from what is on disk.
 */
export function commitHooks(
  metrics: DhcpMetrics,
  log: EventLog,
  nowMs: () => number,
  fatal: (e: unknown) => void,
): CommitHooks {
  let failedOnce = false;
  return {
    nowMs,
    committed: (packets, ms) => {
      metrics.commitSeconds.observe(ms / 1000);
      if (packets > 0) metrics.batchSize.observe(packets);
    },
    failed: (e, packets) => {
      metrics.commitFailures.inc();
      if (failedOnce) return;
      failedOnce = true;
      log.error("store.fatal", {
        error: String(e),
        packets,
        action: "no reply of this batch was sent; exiting so the service restarts from disk",
        fix: "check the disk holding the state directory (space, I/O errors in dmesg)",
      });
      fatal(e);
    },
  };
}
