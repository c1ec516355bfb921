/**
 * DHCPv4 message codec (RFC 2131 §2, RFC 2132 §9.3 overload, RFC 3396 concatenation).
 * Pure and total: decode never throws on any input; it returns a typed error.
 *
 * CONTRACT (other modules depend on these exported names and shapes):
 *   DhcpPacket, DecodeError, DecodeResult, decodeDhcp(bytes), encodeDhcp(packet, opts)
 */
import { type Ipv4, ipv4 } from "./ipv4.ts";
import {
  decodeOptions,
  FILE_LENGTH,
  FILE_OFFSET,
  type OptionBag,
  OPTIONS_OFFSET,
  planOptionsArea,
  SNAME_LENGTH,
  SNAME_OFFSET,
  writeOptionsArea,
} from "./dhcp_options.ts";
import { ByteWriter, readU16, readU32 } from "./bytes.ts";

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

export type { DecodeError, DecodeErrorKind } from "./decode_error.ts";
import type { DecodeError, DecodeErrorKind } from "./decode_error.ts";

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

/** Fixed BOOTP header (RFC 2131 §2, figure 1) is 236 bytes; the magic cookie makes 240. */
export const HEADER_LENGTH = 236;
/** RFC 1542 §3.2.1: BOOTP relays and old clients expect messages of at least 300 bytes. */
export const MIN_BOOTP_LENGTH = 300;
/** RFC 2132 §9.10: the smallest maximum message size a client may announce. */
export const MIN_MAX_MESSAGE_SIZE = 576;
/** Option 57 counts the whole IP datagram (RFC 2131 §2: 576 octets = 312 of options). */
export const IP_UDP_HEADER_LENGTH = 28;

/**
 * Total: never throws, never reads out of bounds; any malformed input is a DecodeError. Byte
 * fields (chaddr, sname, file, option values) are views of `bytes`, not copies: the caller
 * passes bytes it owns (the transports hand each datagram its own) and leaves them unchanged.
 */
export function decodeDhcp(bytes: Uint8Array): DecodeResult {
  if (bytes.length < OPTIONS_OFFSET) {
    return fail("too-short", bytes.length, `${bytes.length} bytes; a DHCP message needs 240`);
  }
  const op = bytes[0] ?? 0;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) {
    return fail("bad-op", 0, `op ${op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)`);
  }
  const cookie = readU32(bytes, HEADER_LENGTH);
  if (cookie !== DHCP_MAGIC_COOKIE) {
    const hex = cookie.toString(16).padStart(8, "0");
    return fail("bad-magic-cookie", HEADER_LENGTH, `magic cookie 0x${hex}, expected 0x63825363`);
  }
  const opts = decodeOptions(bytes);
  if (!opts.ok) return opts;
  return {
    ok: true,
    packet: {
      op,
      htype: bytes[1] ?? 0,
      hlen: bytes[2] ?? 0,
      hops: bytes[3] ?? 0,
      xid: readU32(bytes, 4),
      secs: readU16(bytes, 8),
      flags: readU16(bytes, 10),
      ciaddr: ipv4(readU32(bytes, 12)),
      yiaddr: ipv4(readU32(bytes, 16)),
      siaddr: ipv4(readU32(bytes, 20)),
      giaddr: ipv4(readU32(bytes, 24)),
      chaddr: bytes.subarray(28, 44),
      // An overloaded field holds options, not a name: hand consumers zeros instead.
      sname: opts.snameCarriedOptions
        ? new Uint8Array(SNAME_LENGTH)
        : bytes.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH),
      file: opts.fileCarriedOptions
        ? new Uint8Array(FILE_LENGTH)
        : bytes.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH),
      options: opts.options,
    },
  };
}

function fail(kind: DecodeErrorKind, offset: number, message: string): DecodeResult {
  return { ok: false, error: { kind, offset, message } };
}

export interface EncodeResult {
  readonly bytes: Uint8Array;
  /** Option codes left out because the message would have exceeded the size limit. */
  readonly dropped: readonly number[];
}

/** Like encodeDhcp, and also says which options did not fit. */
export function encodeDhcpDetailed(p: DhcpPacket, opts: EncodeOptions = {}): EncodeResult {
  const maxDatagram = Math.min(
    65535,
    Math.max(MIN_MAX_MESSAGE_SIZE, Math.floor(opts.maxMessageSize ?? MIN_MAX_MESSAGE_SIZE)),
  );
  const capacity = maxDatagram - IP_UDP_HEADER_LENGTH - OPTIONS_OFFSET;
  const plan = planOptionsArea(p.options, capacity, opts.parameterOrder ?? []);
  // One buffer for the whole reply, options written in place (RFC 1542 §3.2.1: >= 300 bytes,
  // the zero tail is the padding).
  const out = new Uint8Array(Math.max(MIN_BOOTP_LENGTH, OPTIONS_OFFSET + plan.size));
  const w = new ByteWriter(0, out);
  w.u8(p.op).u8(p.htype).u8(p.hlen).u8(p.hops).u32(p.xid).u16(p.secs).u16(p.flags);
  w.u32(p.ciaddr).u32(p.yiaddr).u32(p.siaddr).u32(p.giaddr);
  w.fixed(p.chaddr, 16).fixed(p.sname, SNAME_LENGTH).fixed(p.file, FILE_LENGTH);
  w.u32(DHCP_MAGIC_COOKIE);
  writeOptionsArea(out, OPTIONS_OFFSET, p.options, plan);
  return { bytes: out, dropped: plan.dropped };
}

/**
 * Encodes header, cookie and options. Options are ordered per EncodeOptions (53 first, PRL
 * order, the rest, 82 last), split above 255 bytes (RFC 3396), dropped whole when they would
 * exceed the maximum message size, followed by End and zero padding up to 300 bytes.
 * Option 52 in the bag is ignored: this encoder never overloads sname/file.
 */
export function encodeDhcp(p: DhcpPacket, opts: EncodeOptions = {}): Uint8Array {
  return encodeDhcpDetailed(p, opts).bytes;
}
