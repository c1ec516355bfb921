/** Where a reply goes: RFC 2131 §4.1, "If the 'giaddr' field ... is nonzero ..." paragraph. */
import { type DhcpPacket, FLAG_BROADCAST } from "../wire/dhcp_message.ts";
import type { Destination, MessageType } from "./decision.ts";

/**
 * RFC 2131 §4.1:
 * - giaddr != 0: to the relay agent's giaddr on port 67 (a NAK then carries the broadcast bit,
 *   §4.3.2, set by reply.ts, so the relay broadcasts it);
 * - else a NAK is broadcast;
 * - else ciaddr != 0: unicast to ciaddr;
 * - else the broadcast bit set: broadcast;
 * - else unicast to the client's hardware address and yiaddr ("link-unicast"); without a yiaddr
 *   (an INFORM from a client with no ciaddr) there is nothing to unicast to, so broadcast.
 */
export function destinationFor(
  request: DhcpPacket,
  replyType: MessageType,
  reply: DhcpPacket,
): Destination {
  if (request.giaddr !== 0) return { kind: "relay", ip: request.giaddr };
  if (replyType === "NAK") return { kind: "broadcast" };
  if (request.ciaddr !== 0) return { kind: "unicast", ip: request.ciaddr };
  if ((request.flags & FLAG_BROADCAST) !== 0) return { kind: "broadcast" };
  if (reply.yiaddr === 0) return { kind: "broadcast" };
  return {
    kind: "link-unicast",
    ip: reply.yiaddr,
    chaddr: request.chaddr.slice(0, Math.min(request.hlen, 16)),
  };
}
