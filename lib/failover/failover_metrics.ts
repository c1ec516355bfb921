/** The failover metrics, named once; event ids in logs match the label values. */
import type { Registry } from "../http/metrics.ts";

export function failoverMetrics(reg: Registry) {
  return {
    sent: reg.counter("tandem_failover_messages_sent_total", "Failover messages sent, by type."),
    received: reg.counter(
      "tandem_failover_messages_received_total",
      "Failover messages received, by type.",
    ),
    badMessages: reg.counter(
      "tandem_failover_bad_messages_total",
      "Malformed or unauthenticated failover messages (the connection is dropped).",
    ),
    rejectedConnections: reg.counter(
      "tandem_failover_rejected_connections_total",
      "Partner connections refused, by reason.",
    ),
    refusedMessages: reg.counter(
      "tandem_failover_messages_refused_total",
      "Authenticated failover messages not acted on: stale time or repeated (a replay), by reason.",
    ),
    receiveTimerExpired: reg.counter(
      "tandem_failover_receive_timer_expired_total",
      "Links dropped because the partner fell silent.",
    ),
    transitions: reg.counter("tandem_failover_transitions_total", "Failover state changes."),
    bindingsSent: reg.counter(
      "tandem_failover_bindings_sent_total",
      "Binding updates sent to the partner.",
    ),
    bindingsReceived: reg.counter(
      "tandem_failover_bindings_received_total",
      "Binding updates from the partner accepted and committed.",
    ),
    bindingsRejected: reg.counter(
      "tandem_failover_bindings_rejected_total",
      "Binding updates from the partner rejected, by reason.",
    ),
    crossedUpdates: reg.counter(
      "tandem_failover_crossed_updates_total",
      "Partner updates that crossed one of ours for the same address (§7.1.3), by whose was kept.",
    ),
    updatesRejectedByPartner: reg.counter(
      "tandem_failover_updates_rejected_by_partner_total",
      "Our binding updates the partner rejected, by reason.",
    ),
    fingerprintMismatches: reg.counter(
      "tandem_failover_config_mismatch_total",
      "Times the partner reported a different scope configuration.",
    ),
    pairRefused: reg.counter(
      "tandem_failover_pair_refused_total",
      "Times the partner was refused as an unsafe pair (both primary or secondary, same " +
        "server id, different scope configuration).",
    ),
    partnerSlowClients: reg.counter(
      "tandem_failover_partner_unanswered_clients_total",
      "Clients of the partner answered here because their secs showed the partner was not answering.",
    ),
  };
}

export type FailoverMetrics = ReturnType<typeof failoverMetrics>;
