/**
 * What the DHCP core decides for one request. The runtime persists ops, then sends reply.
 */
import type { Ipv4 } from "../wire/ipv4.ts";
import type { DhcpPacket } from "../wire/dhcp_message.ts";
import type { LeaseOp } from "../lease/ops.ts";

/** Stable drop reasons; each keys a counter `tandem_dhcp_drops_total{reason=...}`. */
export type DropReason =
  | "malformed" // decode error (counted by the runtime before handle())
  | "not-a-request" // op != BOOTREQUEST
  | "no-message-type" // no option 53 (BOOTP is not served)
  | "unknown-message-type"
  | "bad-hlen" // hlen 0 or > 16 with no client id
  | "no-subnet" // no configured subnet for the link
  | "not-for-us" // REQUEST/DECLINE/RELEASE with another server's id
  | "not-our-client" // failover scope: partner's client
  | "not-serving" // failover scope: this server is not answering now
  | "no-free-address"
  | "no-binding" // REQUEST for an address we know nothing of, not authoritative
  | "bad-request"; // REQUEST missing required fields for its state

export type Destination =
  /** RFC 2131 §4.1: relayed -> the relay's giaddr, server port 67. */
  | { readonly kind: "relay"; readonly ip: Ipv4 }
  /** ciaddr set (RENEWING/REBINDING/INFORM) -> unicast to ciaddr:68. */
  | { readonly kind: "unicast"; readonly ip: Ipv4 }
  /** broadcast bit set, NAK off-link, or no address yet -> 255.255.255.255:68. */
  | { readonly kind: "broadcast" }
  /**
   * No broadcast bit and no ciaddr: RFC 2131 §4.1 says unicast to chaddr/yiaddr; without raw
   * sockets the transport maps this to a broadcast ("MAY be sent as an IP broadcast").
   */
  | { readonly kind: "link-unicast"; readonly ip: Ipv4; readonly chaddr: Uint8Array };

export type MessageType =
  | "DISCOVER"
  | "OFFER"
  | "REQUEST"
  | "DECLINE"
  | "ACK"
  | "NAK"
  | "RELEASE"
  | "INFORM";

export type Decision =
  | {
    readonly kind: "drop";
    readonly reason: DropReason;
    /** no-free-address after scanning the whole of this subnet's pools (handle_context.ts). */
    readonly poolFull?: number;
  }
  | {
    readonly kind: "reply";
    readonly reply: DhcpPacket;
    readonly replyType: MessageType;
    readonly to: Destination;
    readonly ops: readonly LeaseOp[];
    /** Encoding hints: client's PRL order and max message size. */
    readonly parameterOrder: readonly number[];
    readonly maxMessageSize: number;
    /** A new address came from a pool scan: where that subnet's next scan starts. */
    readonly poolCursor?: { readonly subnetId: number; readonly offset: number };
  }
  | {
    readonly kind: "no-reply";
    readonly ops: readonly LeaseOp[];
    /**
     * Why there is no reply when it is not the normal outcome (RELEASE and DECLINE have none):
     * e.g. "not-for-us" for a REQUEST naming another server, which still drops our offer hold.
     */
    readonly reason?: DropReason;
  };
