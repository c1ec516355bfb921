/**
 * The raw option bag: option code -> value bytes (already RFC 3396-concatenated).
 * CONTRACT: OptionBag type; helpers to read typed values live in option_registry.ts.
 *
 * This file parses the three option areas of a DHCP message (options, then file, then sname:
 * the RFC 3396 §5 aggregate order) and serializes a bag back into an options area.
 */
import type { DecodeError } from "./decode_error.ts";
import { concatBytes } from "./bytes.ts";

export type OptionBag = ReadonlyMap<number, Uint8Array>;

export const OPTION_PAD = 0;
export const OPTION_END = 255;
export const OPTION_OVERLOAD = 52;
export const OPTION_RELAY_AGENT_INFORMATION = 82;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_SERVER_IDENTIFIER = 54;
const OPTION_LEASE_TIME = 51;

/** One option instance as found on the wire, before RFC 3396 concatenation. */
export interface RawOption {
  readonly code: number;
  readonly data: Uint8Array;
  /** Offset of the code byte in the whole message. */
  readonly offset: number;
}

export type ScanResult =
  | { readonly ok: true; readonly options: readonly RawOption[] }
  | { readonly ok: false; readonly error: DecodeError };

/**
 * Scans one option area. Pad (0) is skipped; End (255) stops the scan. An area that runs out
 * exactly at an option boundary without End is accepted (several clients omit End in sname and
 * file); an option whose length byte or data runs past the area is an error.
 * `base` is the area's offset in the whole message, used for error offsets.
 */
export function scanOptionArea(area: Uint8Array, base: number): ScanResult {
  const options: RawOption[] = [];
  let i = 0;
  while (i < area.length) {
    const code = area[i] ?? OPTION_END;
    if (code === OPTION_PAD) {
      i += 1;
      continue;
    }
    if (code === OPTION_END) return { ok: true, options };
    const len = area[i + 1];
    if (len === undefined) {
      return fail("missing-end", base + i, `option ${code} has no length byte and no End follows`);
    }
    if (i + 2 + len > area.length) {
      return fail(
        "truncated-option",
        base + i,
        `option ${code} says ${len} bytes but only ${area.length - i - 2} remain`,
      );
    }
    options.push({ code, data: area.subarray(i + 2, i + 2 + len), offset: base + i });
    i += 2 + len;
  }
  return { ok: true, options };
}

function fail(kind: DecodeError["kind"], offset: number, message: string): ScanResult {
  return { ok: false, error: { kind, offset, message } };
}

/** Where the sname and file fields sit in a DHCP message (RFC 2131 §2). */
export const SNAME_OFFSET = 44;
export const SNAME_LENGTH = 64;
export const FILE_OFFSET = 108;
export const FILE_LENGTH = 128;
export const OPTIONS_OFFSET = 240;

export type OptionsDecodeResult =
  | {
    readonly ok: true;
    readonly options: OptionBag;
    readonly fileCarriedOptions: boolean;
    readonly snameCarriedOptions: boolean;
  }
  | { readonly ok: false; readonly error: DecodeError };

/**
 * Decodes all options of a message whose first 240 bytes (header + cookie) are known present.
 * RFC 2132 §9.3: option 52 in the options field says file (1), sname (2) or both (3) carry
 * options too; they are read after the options field, file before sname (RFC 3396 §5).
 * Option 52 itself is framing, so it is not put in the bag; an option 52 found inside file or
 * sname is ignored (it cannot overload again).
 * RFC 3396 §7: every instance of a code is concatenated, in aggregate-buffer order.
 */
export function decodeOptions(msg: Uint8Array): OptionsDecodeResult {
  const fast = decodeCommonCase(msg);
  if (fast !== undefined) return fast;
  const main = scanOptionArea(msg.subarray(OPTIONS_OFFSET), OPTIONS_OFFSET);
  if (!main.ok) return main;
  const all: RawOption[] = [];
  let overload = 0;
  for (const o of main.options) {
    if (o.code !== OPTION_OVERLOAD) {
      all.push(o);
      continue;
    }
    if (overload !== 0 || o.data.length !== 1 || o.data[0] === undefined) {
      return badOverload(o.offset, "option 52 must appear once with exactly one byte");
    }
    overload = o.data[0];
    if (overload < 1 || overload > 3) {
      return badOverload(o.offset, `option 52 value ${overload} is not 1, 2 or 3`);
    }
  }
  const fileCarriedOptions = (overload & 1) !== 0;
  const snameCarriedOptions = (overload & 2) !== 0;
  const extra: Array<readonly [number, number]> = [];
  if (fileCarriedOptions) extra.push([FILE_OFFSET, FILE_LENGTH]);
  if (snameCarriedOptions) extra.push([SNAME_OFFSET, SNAME_LENGTH]);
  for (const [at, len] of extra) {
    const area = scanOptionArea(msg.subarray(at, at + len), at);
    if (!area.ok) return area;
    for (const o of area.options) if (o.code !== OPTION_OVERLOAD) all.push(o);
  }
  return { ok: true, options: concatenate(all), fileCarriedOptions, snameCarriedOptions };
}

/**
 * The common case in one pass, without intermediate objects: no option 52, no repeated code,
 * and an End (or the exact end) closing the area. Values are views as in concatenate().
 * Anything else returns undefined and takes the general path above, so both give one result.
 */
function decodeCommonCase(msg: Uint8Array): OptionsDecodeResult | undefined {
  const bag = new Map<number, Uint8Array>();
  let i = OPTIONS_OFFSET;
  while (i < msg.length) {
    const code = msg[i]!;
    if (code === OPTION_PAD) {
      i++;
      continue;
    }
    if (code === OPTION_END) break;
    if (code === OPTION_OVERLOAD || i + 1 >= msg.length) return undefined;
    const len = msg[i + 1]!;
    if (i + 2 + len > msg.length || bag.has(code)) return undefined;
    bag.set(code, msg.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return { ok: true, options: bag, fileCarriedOptions: false, snameCarriedOptions: false };
}

function badOverload(offset: number, message: string): OptionsDecodeResult {
  return { ok: false, error: { kind: "bad-overload", offset, message } };
}

/**
 * RFC 3396 §7: join split portions. A value found once is a view of the input (no copy: the
 * per-packet path allocated one buffer per option before); a split one is a fresh join. The
 * caller hands in bytes it owns and does not change them afterwards (dhcp_message.ts).
 */
export function concatenate(raw: readonly RawOption[]): Map<number, Uint8Array> {
  const parts = new Map<number, Uint8Array[]>();
  for (const o of raw) {
    const list = parts.get(o.code);
    if (list) list.push(o.data);
    else parts.set(o.code, [o.data]);
  }
  const bag = new Map<number, Uint8Array>();
  for (const [code, list] of parts) {
    bag.set(code, list.length === 1 ? (list[0] ?? new Uint8Array()) : concatBytes(list));
  }
  return bag;
}

/**
 * The order options are written in: message type (53) first, then the client's parameter
 * request list order (RFC 2131 §4.3.1 asks servers to honour it), then the rest in bag order,
 * and relay agent information (82) last (RFC 3046 §2.2). Pad, End and 52 are never written.
 */
export function orderOptionCodes(
  bag: OptionBag,
  parameterOrder: readonly number[] = [],
): number[] {
  const out: number[] = [];
  // A 256-bit set of the codes already placed (a Set per reply cost a visible share of CPU).
  const seen = [0, 0, 0, 0, 0, 0, 0, 0];
  const take = (code: number) => {
    const word = code >>> 5;
    const bit = 1 << (code & 31);
    if (
      word > 7 || (seen[word]! & bit) !== 0 || code === OPTION_PAD || code === OPTION_END ||
      code === OPTION_OVERLOAD || code === OPTION_RELAY_AGENT_INFORMATION || !bag.has(code)
    ) return;
    seen[word]! |= bit;
    out.push(code);
  };
  take(OPTION_MESSAGE_TYPE);
  for (const code of parameterOrder) take(code);
  for (const code of bag.keys()) take(code);
  if (bag.has(OPTION_RELAY_AGENT_INFORMATION)) out.push(OPTION_RELAY_AGENT_INFORMATION);
  return out;
}

/** Wire size of one option value once split into <= 255-byte instances (RFC 3396 §6). */
export function encodedOptionSize(valueLength: number): number {
  const instances = Math.max(1, Math.ceil(valueLength / 255));
  return instances * 2 + valueLength;
}

/** Writes one option, split into as many instances as needed (RFC 3396 §6). */
export function writeOption(out: Uint8Array, at: number, code: number, value: Uint8Array): number {
  let pos = at;
  let from = 0;
  do {
    const n = Math.min(255, value.length - from);
    out[pos++] = code;
    out[pos++] = n;
    out.set(value.subarray(from, from + n), pos);
    pos += n;
    from += n;
  } while (from < value.length);
  return pos;
}

/**
 * Codes that get room before any other option when space is short: without them the reply is
 * useless (message type, server identifier, lease time) or the relay cannot route it (82).
 */
const RESERVED_FIRST = [
  OPTION_MESSAGE_TYPE,
  OPTION_SERVER_IDENTIFIER,
  OPTION_LEASE_TIME,
  OPTION_RELAY_AGENT_INFORMATION,
];

export interface OptionsAreaResult {
  /** Option instances followed by End; no padding. */
  readonly bytes: Uint8Array;
  /** Codes left out because they did not fit in `capacity`. */
  readonly dropped: readonly number[];
}

/** What goes into an options area: the codes to write in order, and its size (End included). */
export interface OptionsAreaPlan {
  readonly codes: readonly number[];
  readonly size: number;
  readonly dropped: readonly number[];
}

const NONE: readonly number[] = Object.freeze([]);

/**
 * Chooses the options of an area of at most `capacity` bytes (End included). Options that do
 * not fit are dropped whole, never cut, and later smaller ones may still fit; the
 * RESERVED_FIRST codes are budgeted before all others. When everything fits (nearly every
 * reply) that is the whole order, decided in one pass.
 */
export function planOptionsArea(
  bag: OptionBag,
  capacity: number,
  parameterOrder: readonly number[] = [],
): OptionsAreaPlan {
  const order = orderOptionCodes(bag, parameterOrder);
  const size = (code: number) => encodedOptionSize(bag.get(code)?.length ?? 0);
  let total = 1; // End
  for (const code of order) total += size(code);
  if (total <= capacity) return { codes: order, size: total, dropped: NONE };
  let budget = capacity - 1;
  const chosen = new Set<number>();
  for (const code of RESERVED_FIRST) {
    if (order.includes(code) && size(code) <= budget) {
      chosen.add(code);
      budget -= size(code);
    }
  }
  for (const code of order) {
    if (chosen.has(code) || RESERVED_FIRST.includes(code)) continue;
    if (size(code) <= budget) {
      chosen.add(code);
      budget -= size(code);
    }
  }
  return {
    codes: order.filter((c) => chosen.has(c)),
    size: capacity - budget,
    dropped: order.filter((c) => !chosen.has(c)),
  };
}

/** Writes a planned area (options, then End) into out at `at`; returns the end position. */
export function writeOptionsArea(
  out: Uint8Array,
  at: number,
  bag: OptionBag,
  plan: OptionsAreaPlan,
): number {
  let pos = at;
  for (const code of plan.codes) pos = writeOption(out, pos, code, bag.get(code) ?? EMPTY);
  out[pos++] = OPTION_END;
  return pos;
}

const EMPTY = new Uint8Array(0);

/** Serializes a bag into an options area of at most `capacity` bytes (planOptionsArea). */
export function encodeOptionsArea(
  bag: OptionBag,
  capacity: number,
  parameterOrder: readonly number[] = [],
): OptionsAreaResult {
  const plan = planOptionsArea(bag, capacity, parameterOrder);
  const out = new Uint8Array(Math.max(1, plan.size));
  const end = writeOptionsArea(out, 0, bag, plan);
  return { bytes: out.subarray(0, end), dropped: plan.dropped };
}
