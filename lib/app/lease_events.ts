/**
 * The lease event log: one info line per ACK, NAK, DECLINE, RELEASE and expiry, with what an
 * operator asks of it afterwards ("who had 10.1.2.3 at 14:05?"): address, MAC, client id, host
 * name, relay (giaddr), circuit id and which box. Pure: the runtime (server.ts) logs the events
 * when they are true (an ACK once its lease is on disk).
 */
import type { DhcpPacket } from "../wire/dhcp_message.ts";
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import { toHex } from "../wire/bytes.ts";
import { macFromHex } from "../wire/client_key.ts";
import { parseRelayAgentInformation } from "../wire/relay_agent.ts";
import type { Lease } from "../lease/lease.ts";
import type { Decision } from "../dhcp/decision.ts";

export interface LeaseEvent {
  readonly event:
    | "lease.ack"
    | "lease.nak"
    | "lease.decline"
    | "lease.release"
    | "lease.expire"
    // The operator's lease commands (lib/dhcp/lease_commands.ts).
    | "lease.add"
    | "lease.delete"
    | "lease.reclaim";
  readonly props: Record<string, string | number>;
}

const MSG_DECLINE = 4, MSG_RELEASE = 7;

/** Printable text as it is, anything else as hex (circuit ids are either). */
function textOrHex(b: Uint8Array): string {
  return b.every((c) => c >= 0x20 && c < 0x7f) ? new TextDecoder().decode(b) : toHex(b);
}

function who(packet: DhcpPacket, box: string): Record<string, string | number> {
  const props: Record<string, string | number> = {
    mac: toHex(packet.chaddr.subarray(0, Math.min(packet.hlen, 16)), ":"),
    box,
  };
  const cid = packet.options.get(61);
  if (cid !== undefined) props.client_id = toHex(cid);
  if (packet.giaddr !== 0) props.relay = formatIpv4(packet.giaddr as Ipv4);
  const ri = packet.options.get(82);
  if (ri !== undefined) {
    const parsed = parseRelayAgentInformation(ri);
    if (parsed.ok && parsed.info.circuitId !== undefined) {
      props.circuit_id = textOrHex(parsed.info.circuitId);
    }
  }
  return props;
}

/**
 * The events of one handled packet. decided: the lease records its ops put, as stored (host
 * names already validated).
 */
export function leaseEventsOf(
  packet: DhcpPacket,
  decision: Decision,
  decided: readonly Lease[],
  box: string,
): LeaseEvent[] {
  const type = packet.options.get(53)?.[0];
  if (decision.kind === "reply" && decision.replyType === "NAK") {
    const req = packet.options.get(50);
    const ip = req !== undefined && req.length === 4
      ? formatIpv4(((req[0]! << 24) | (req[1]! << 16) | (req[2]! << 8) | req[3]!) >>> 0 as Ipv4)
      : formatIpv4(packet.ciaddr);
    return [{ event: "lease.nak", props: { ip, ...who(packet, box) } }];
  }
  const out: LeaseEvent[] = [];
  for (const l of decided) {
    const event = decision.kind === "reply" && decision.replyType === "ACK" &&
        l.state === "active"
      ? "lease.ack"
      : type === MSG_DECLINE && l.state === "abandoned"
      ? "lease.decline"
      : type === MSG_RELEASE && l.state !== "active"
      ? "lease.release"
      : undefined;
    if (event === undefined) continue;
    const props: Record<string, string | number> = { ip: formatIpv4(l.ip), ...who(packet, box) };
    if (l.hostname !== "") props.hostname = l.hostname;
    if (event === "lease.ack") props.until = new Date(l.endSec * 1000).toISOString();
    out.push({ event, props });
  }
  return out;
}

/** A stored record's part of an event that has no packet behind it (sweep, operator). */
function recordProps(l: Lease, box: string): Record<string, string | number> {
  return {
    ip: formatIpv4(l.ip),
    mac: macFromHex(l.hwAddr),
    ...(l.clientId === "" ? {} : { client_id: l.clientId }),
    ...(l.hostname === "" ? {} : { hostname: l.hostname }),
    state: l.state,
    box,
  };
}

/** The expiry sweep's events (reclaim.ts): the records it moved out of ACTIVE. */
export function expiryEvents(decided: readonly Lease[], box: string): LeaseEvent[] {
  return decided.filter((l) => l.state !== "active").map((l) => ({
    event: "lease.expire" as const,
    props: recordProps(l, box),
  }));
}

/** An operator's lease command (lease_commands.ts): one event per record it changed. */
export function operatorEvents(
  kind: "add" | "delete" | "reclaim",
  changed: readonly Lease[],
  box: string,
): LeaseEvent[] {
  return changed.map((l) => ({
    event: `lease.${kind}` as const,
    props: { ...recordProps(l, box), by: "operator" },
  }));
}
