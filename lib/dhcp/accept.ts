/**
 * Drop filters: the reasons a packet gets no answer before any lease is looked at. Each returns
 * a DropReason (a counter and a log line for the runtime) or undefined to go on.
 */
import { BOOTREQUEST, type DhcpPacket } from "../wire/dhcp_message.ts";
import type { Ipv4 } from "../wire/ipv4.ts";
import { OPT } from "../wire/option_registry.ts";
import type { DropReason, MessageType } from "./decision.ts";
import type { DhcpRequest } from "./request.ts";
import { messageTypeOf } from "./request.ts";
import type { ServingScope } from "./scope.ts";

/** Messages a client sends (RFC 2131 §3, table 2); OFFER/ACK/NAK come from servers. */
const CLIENT_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>([
  "DISCOVER",
  "REQUEST",
  "DECLINE",
  "RELEASE",
  "INFORM",
]);

/** Filters on the fixed header and option 53, before the request is classified. */
export function acceptPacket(p: DhcpPacket): DropReason | undefined {
  // RFC 2131 §4.1: a server only processes BOOTREQUEST messages.
  if (p.op !== BOOTREQUEST) return "not-a-request";
  const type = messageTypeOf(p);
  // RFC 2131 §4.1 (BOOTP compatibility) is not offered: no option 53, no answer.
  if (type === undefined) return "no-message-type";
  if (type === "unknown" || !CLIENT_MESSAGES.has(type)) return "unknown-message-type";
  // RFC 2131 §4.2: the client is identified by option 61 or else by chaddr, which needs hlen.
  if ((p.hlen === 0 || p.hlen > 16) && !p.options.has(OPT.clientIdentifier)) return "bad-hlen";
  return undefined;
}

/**
 * RFC 2131 §4.3.2 / §4.3.3 / §4.3.4: a REQUEST (SELECTING), DECLINE or RELEASE names the
 * server it is meant for in option 54; another server's id means it is not ours to act on.
 * DECLINE and RELEASE without option 54 are accepted (ownership is still checked).
 */
export function serverIdFilter(req: DhcpRequest, ourServerId: Ipv4): DropReason | undefined {
  if (req.serverId === undefined || req.serverId === ourServerId) return undefined;
  return "not-for-us";
}

/** Whether the scope answers a "new" client (DISCOVER, SELECTING, INIT-REBOOT) or a renewal. */
export function answerKind(req: DhcpRequest): "new" | "renew" {
  if (req.type === "DISCOVER") return "new";
  if (req.type === "REQUEST" && req.state !== "RENEWING-OR-REBINDING") return "new";
  return "renew";
}

/** Failover (draft-12 §5.3, RFC 3074): the scope decides which clients this server answers. */
export function scopeFilter(req: DhcpRequest, scope: ServingScope): DropReason | undefined {
  return scope.answers(req.hashKey, req.packet.secs, answerKind(req))
    ? undefined
    : "not-our-client";
}
