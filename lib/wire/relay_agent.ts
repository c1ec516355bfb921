/**
 * Relay Agent Information (option 82) sub-options: RFC 3046 §2.0 (1 circuit-id, 2 remote-id)
 * and RFC 3527 (5 link-selection). Parsing is total: malformed input is a typed error.
 */
import { formatIpv4, type Ipv4, ipv4FromBytes } from "./ipv4.ts";
import { toHex } from "./bytes.ts";

export const SUBOPT_CIRCUIT_ID = 1;
export const SUBOPT_REMOTE_ID = 2;
export const SUBOPT_LINK_SELECTION = 5;

export interface RelaySubOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface RelayAgentInfo {
  readonly circuitId?: Uint8Array;
  readonly remoteId?: Uint8Array;
  /** RFC 3527: the subnet the client is on, when it differs from giaddr's. */
  readonly linkSelection?: Ipv4;
  /** Every sub-option in wire order, known or not (the server echoes 82 unchanged). */
  readonly subOptions: readonly RelaySubOption[];
}

export type RelayAgentErrorKind = "too-short" | "truncated-sub-option" | "bad-link-selection";

export interface RelayAgentError {
  readonly kind: RelayAgentErrorKind;
  /** Offset inside the option 82 value. */
  readonly offset: number;
  readonly message: string;
}

export type RelayAgentResult =
  | { readonly ok: true; readonly info: RelayAgentInfo }
  | { readonly ok: false; readonly error: RelayAgentError };

/**
 * RFC 3046 §2.0: at least one sub-option (length >= 2); sub-option lengths may be zero; no
 * pad or end sub-option. When a sub-option repeats, the first one counts for the typed fields.
 */
export function parseRelayAgentInformation(value: Uint8Array): RelayAgentResult {
  if (value.length < 2) {
    return fail("too-short", 0, `option 82 is ${value.length} bytes; it needs a sub-option`);
  }
  const subOptions: RelaySubOption[] = [];
  let circuitId: Uint8Array | undefined;
  let remoteId: Uint8Array | undefined;
  let linkSelection: Ipv4 | undefined;
  let i = 0;
  while (i < value.length) {
    const code = value[i] ?? 0;
    const len = value[i + 1];
    if (len === undefined || i + 2 + len > value.length) {
      return fail("truncated-sub-option", i, `sub-option ${code} runs past the end of option 82`);
    }
    const data = value.slice(i + 2, i + 2 + len);
    subOptions.push({ code, data });
    if (code === SUBOPT_CIRCUIT_ID) circuitId ??= data;
    else if (code === SUBOPT_REMOTE_ID) remoteId ??= data;
    else if (code === SUBOPT_LINK_SELECTION) {
      // RFC 3527 §3: the link-selection sub-option is exactly 4 bytes.
      if (len !== 4) {
        return fail("bad-link-selection", i, `link-selection is ${len} bytes, not 4`);
      }
      linkSelection ??= ipv4FromBytes(data);
    }
    i += 2 + len;
  }
  return {
    ok: true,
    info: {
      subOptions,
      ...(circuitId && { circuitId }),
      ...(remoteId && { remoteId }),
      ...(linkSelection !== undefined && { linkSelection }),
    },
  };
}

function fail(kind: RelayAgentErrorKind, offset: number, message: string): RelayAgentResult {
  return { ok: false, error: { kind, offset, message } };
}

/** Builds an option 82 value from sub-options (for tests and tools; the server echoes 82). */
export function encodeRelayAgentInformation(subOptions: readonly RelaySubOption[]): Uint8Array {
  const out: number[] = [];
  for (const s of subOptions) out.push(s.code, s.data.length, ...s.data.subarray(0, 255));
  return new Uint8Array(out);
}

/** Display form for logs: known sub-options by name, values as hex (addresses dotted). */
export function relayAgentDisplay(info: RelayAgentInfo): { readonly [k: string]: string } {
  const out: Record<string, string> = {};
  for (const s of info.subOptions) {
    const name = s.code === SUBOPT_CIRCUIT_ID
      ? "circuit-id"
      : s.code === SUBOPT_REMOTE_ID
      ? "remote-id"
      : s.code === SUBOPT_LINK_SELECTION
      ? "link-selection"
      : `sub-option-${s.code}`;
    if (name in out) continue;
    out[name] = s.code === SUBOPT_LINK_SELECTION
      ? formatIpv4(ipv4FromBytes(s.data))
      : toHex(s.data, ":");
  }
  return out;
}
