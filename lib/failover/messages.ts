/**
 * draft-ietf-dhc-failover-12 message codec (§6 format, §7 messages), pure and total: decoding
 * never throws on any input. Numbering and ISC quirks: options.ts and isc-notes §1, §3.
 *
 * Authentication (draft-12 §11.1): when a digest function is given, encode appends a
 * message-digest option (17) of type 2 (HMAC-SHA-256, Tandem's; the draft only defines 1 =
 * HMAC-MD5), computed over the whole message with the digest bytes zeroed. The draft says
 * both "MUST be the first option" (§11.1, §12.17) and "trailing options (message digest)"
 * (§6.3); we append (trailing) and accept it at any position on receipt.
 */
import {
  ByteWriter,
  DIGEST_TYPE_HMAC_SHA256,
  FO,
  HEADER_LEN,
  MAX_MESSAGE_LEN,
  type MessageKind,
  MIN_MESSAGE_LEN,
  MSG_TYPE,
  REJECT,
  splitOptions,
} from "./options.ts";
import type { BindingAck, BindingUpdate } from "./binding_codec.ts";
import { buildMessage, writeBody } from "./message_body.ts";

export type { BindingAck, BindingUpdate };
export { packBindingUpdates } from "./binding_codec.ts";

export type { FailoverMessage, VendorOptions } from "./message_types.ts";
import type { FailoverMessage } from "./message_types.ts";

export type FailoverDecodeErrorKind =
  | "truncated" // fewer bytes than the length field says (only from decodeFailover)
  | "bad-length" // length field < 12 or > 2048 (§6.1): the stream cannot be resynchronised
  | "bad-payload-offset" // offset < 12 or > length (isc-notes §3.1)
  | "unknown-type" // 0-127 and not understood: close the connection (§6.1)
  | "ignored-type" // 128-255 and not understood: skip the message (§6.1); NOT fatal
  | "truncated-option" // an option runs past the message end (§6.2)
  | "duplicate-option" // §6.2: an option that appears twice is an error
  | "bad-option" // a known option with a wrong length or value
  | "missing-option" // a MUST option of §7 is absent
  | "missing-digest" // verifier configured, no option 17 (§11.1, reject reason 21)
  | "bad-digest" // digest mismatch (reason 20) or unsupported digest type (reason 12)
  | "unexpected-digest"; // option 17 present but no secret configured (§11.1, reason 13)

export interface FailoverDecodeError {
  readonly kind: FailoverDecodeErrorKind;
  readonly message: string;
  /** True when the connection must be closed (everything except "ignored-type"). */
  readonly fatal: boolean;
  /** The draft-12 §12.21 reason to put in the DISCONNECT / CONNECTACK, when one applies. */
  readonly rejectReason?: number;
  /** Message type byte, when the header was readable. */
  readonly type?: number;
}

export type FailoverDecodeResult =
  | { readonly ok: true; readonly msg: FailoverMessage; readonly consumed: number }
  | { readonly ok: false; readonly error: FailoverDecodeError; readonly consumed?: number };

/** Octets of an HMAC-SHA-256 digest, the one digest type we send (§11.1 type 2). */
const HMAC_SHA256_LEN = 32;

/** A digest over a whole message: `(data) => digest` (lib/platform/hmac_native.ts). */
export type DigestFn = (data: Uint8Array) => Uint8Array;

export interface CodecOptions {
  /**
   * Shared-secret digest. On encode: sign. On decode: require and verify option 17 (§11.1).
   * Absent: send no digest, and reject any received digest ("unexpected-digest").
   */
  readonly digest?: DigestFn;
}

const KIND_OF_TYPE = new Map<number, MessageKind>(
  (Object.entries(MSG_TYPE) as [MessageKind, number][]).map(([k, v]) => [v, k]),
);

function fail(
  kind: FailoverDecodeErrorKind,
  message: string,
  extra: { rejectReason?: number; type?: number; consumed?: number } = {},
): FailoverDecodeResult {
  const { consumed, ...rest } = extra;
  const error: FailoverDecodeError = { kind, message, fatal: kind !== "ignored-type", ...rest };
  return consumed === undefined ? { ok: false, error } : { ok: false, error, consumed };
}

/**
 * Decodes the message at the start of bytes (bytes may hold more after it; see consumed).
 * Never throws.
 */
export function decodeFailover(bytes: Uint8Array, opts: CodecOptions = {}): FailoverDecodeResult {
  if (bytes.length < 2) return fail("truncated", "fewer than 2 bytes");
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (length < MIN_MESSAGE_LEN || length > MAX_MESSAGE_LEN) {
    return fail("bad-length", `message length ${length} outside 12..2048 (§6.1)`);
  }
  if (bytes.length < length) return fail("truncated", `have ${bytes.length} of ${length} bytes`);
  const frame = bytes.subarray(0, length);
  const type = frame[2]!;
  const offset = frame[3]!;
  const consumed = length;
  const kind = KIND_OF_TYPE.get(type);
  if (kind === undefined) {
    return type >= 128
      ? fail("ignored-type", `optional message type ${type} ignored (§6.1)`, { type, consumed })
      : fail("unknown-type", `message type ${type} not understood (§6.1)`, { type, consumed });
  }
  // isc-notes §3.1: the draft's "8" contradicts its own 12-byte header; accept 12..length.
  if (offset < HEADER_LEN || offset > length) {
    return fail("bad-payload-offset", `payload offset ${offset}`, { type, consumed });
  }
  const options = splitOptions(frame, offset);
  if (options === undefined) {
    return fail("truncated-option", "option runs past the message end", { type, consumed });
  }
  const digests = options.filter((o) => o.code === FO.messageDigest);
  if (opts.digest === undefined) {
    if (digests.length > 0) {
      return fail("unexpected-digest", "message digest present but not configured (§11.1)", {
        rejectReason: REJECT.digestNotConfigured,
        type,
        consumed,
      });
    }
  } else {
    const d = digests[0];
    if (d === undefined) {
      return fail("missing-digest", "message digest missing (§11.1)", {
        rejectReason: REJECT.missingDigest,
        type,
        consumed,
      });
    }
    if (digests.length > 1 || d.data.length < 2 || d.data[0] !== DIGEST_TYPE_HMAC_SHA256) {
      return fail("bad-digest", "unsupported or repeated message digest", {
        rejectReason: REJECT.digestNotSupported,
        type,
        consumed,
      });
    }
    const zeroed = frame.slice();
    zeroed.fill(0, d.offset + 5, d.offset + 4 + d.data.length);
    if (!constantTimeEqual(opts.digest(zeroed), d.data.subarray(1))) {
      return fail("bad-digest", "message digest does not match (§11.1)", {
        rejectReason: REJECT.digestMismatch,
        type,
        consumed,
      });
    }
  }
  const head = {
    xid: ((frame[8]! << 24) | (frame[9]! << 16) | (frame[10]! << 8) | frame[11]!) >>> 0,
    timeSec: ((frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!) >>> 0,
  };
  const body = options.filter((o) => o.code !== FO.messageDigest);
  const built = buildMessage(kind, head, body);
  if (typeof built === "string") {
    const [k, m] = built.split(":", 2) as [FailoverDecodeErrorKind, string];
    return fail(k, m, { type, consumed });
  }
  return { ok: true, msg: built, consumed };
}

/** Encodes a message (§6.1); throws RangeError if it would exceed 2048 bytes (a caller bug). */
export function encodeFailover(msg: FailoverMessage, opts: CodecOptions = {}): Uint8Array {
  const w = new ByteWriter();
  w.u16(0).u8(MSG_TYPE[msg.kind]).u8(HEADER_LEN).u32(msg.timeSec).u32(msg.xid);
  writeBody(w, msg);
  let digestAt = -1;
  if (opts.digest !== undefined) {
    digestAt = w.length + 5;
    const placeholder = new Uint8Array(1 + HMAC_SHA256_LEN).fill(DIGEST_TYPE_HMAC_SHA256, 0, 1);
    w.option(FO.messageDigest, placeholder);
  }
  const out = w.finish();
  if (out.length > MAX_MESSAGE_LEN) {
    throw new RangeError(`failover ${msg.kind} of ${out.length} bytes exceeds 2048 (§6.1)`);
  }
  out[0] = out.length >>> 8;
  out[1] = out.length & 0xff;
  if (opts.digest !== undefined) out.set(opts.digest(out), digestAt);
  return out;
}

/** Compares two digests in time independent of where they differ (§11.1 verification). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
