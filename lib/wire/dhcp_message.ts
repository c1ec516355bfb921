/**
 * DHCPv4 message codec (RFC 2131 §2, RFC 2132 §9.3 overload, RFC 3396 concatenation).
 * Pure and total: decode never throws on any input; it returns a typed error.
 *
 * CONTRACT (other modules depend on these exported names and shapes):
 *   DhcpPacket, DecodeError, DecodeResult, decodeDhcp(bytes), encodeDhcp(packet, opts)
 */
import type { Ipv4 } from "./ipv4.ts";
import type { OptionBag } from "./dhcp_options.ts";

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** RFC 2131 §2: the flags field's leftmost bit asks for a broadcast reply. */
export const FLAG_BROADCAST = 0x8000;

export interface DhcpPacket {
  readonly op: number; // 1 BOOTREQUEST, 2 BOOTREPLY
  readonly htype: number;
  readonly hlen: number; // as sent; consumers use chaddr.subarray(0, min(hlen,16))
  readonly hops: number;
  readonly xid: number; // uint32
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: Ipv4;
  readonly yiaddr: Ipv4;
  readonly siaddr: Ipv4;
  readonly giaddr: Ipv4;
  readonly chaddr: Uint8Array; // always 16 bytes
  /** Raw 64-byte sname field (kept byte-exact unless it carried overloaded options). */
  readonly sname: Uint8Array;
  /** Raw 128-byte file field (kept byte-exact unless it carried overloaded options). */
  readonly file: Uint8Array;
  /**
   * All options, RFC 3396-concatenated, in first-appearance order, including those found in
   * sname/file when option 52 said so. Pad (0) and End (255) are not in the bag.
   */
  readonly options: OptionBag;
}

export type DecodeErrorKind =
  | "too-short" // fewer than 240 bytes (236 fixed + cookie)
  | "bad-magic-cookie"
  | "bad-op"
  | "truncated-option" // an option's length runs past the end of its area
  | "bad-overload" // option 52 malformed or overload value not 1..3
  | "missing-end"; // options area has no End option and isn't exactly filled

export interface DecodeError {
  readonly kind: DecodeErrorKind;
  readonly offset: number;
  readonly message: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly error: DecodeError };

export interface EncodeOptions {
  /** Largest datagram the peer accepts (option 57, at least 576); default 576. */
  readonly maxMessageSize?: number;
  /**
   * Option codes in the order the client asked for them (option 55). Options are written in
   * this order first, then the rest in bag order; option 82 is always written last (RFC 3046
   * §2.2).
   */
  readonly parameterOrder?: readonly number[];
}
