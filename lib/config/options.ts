/**
 * Encodes one level's [options] table into an OptionBag with encodeOptionValue. Levels stay
 * separate (global < subnet < pool < reservation); the DHCP core merges them per reply.
 */
import type { OptionBag } from "../wire/dhcp_options.ts";
import { encodeOptionValue } from "../wire/option_registry.ts";
import type { ConfigIssue } from "./issues.ts";

/**
 * Options Tandem writes itself from other settings or from the exchange; configuring them
 * would either be ignored or contradict the protocol.
 */
const SERVER_CONTROLLED = new Map<number, { what: string; fix: string }>([
  [0, { what: "pad", fix: "remove it" }],
  [50, { what: "requested IP address (client-only)", fix: "remove it" }],
  [51, {
    what: "the lease time",
    fix: "set default_sec/min_sec/max_sec in [lease] or [subnet.lease]",
  }],
  [52, { what: "option overload (RFC 2131 §4.1)", fix: "remove it; Tandem overloads as needed" }],
  [53, { what: "the DHCP message type", fix: "remove it" }],
  [54, { what: "the server identifier (RFC 2132 §9.7)", fix: "set server_id instead" }],
  [55, { what: "the parameter request list (client-only)", fix: "remove it" }],
  [57, { what: "the maximum message size (client-only)", fix: "remove it" }],
  [58, { what: "the renewal time T1", fix: "set t1_ratio in [lease] or [subnet.lease]" }],
  [59, { what: "the rebinding time T2", fix: "set t2_ratio in [lease] or [subnet.lease]" }],
  [61, { what: "the client identifier (client-only)", fix: "remove it" }],
  [82, { what: "relay agent information (RFC 3046, relay-only)", fix: "remove it" }],
  [255, { what: "end", fix: "remove it" }],
]);

export interface EncodedOptions {
  readonly bag: OptionBag;
  readonly issues: readonly ConfigIssue[];
}

/** `path` is the options table's own path, e.g. "subnet[0].options". Issues carry no line yet. */
export function encodeOptionTable(
  table: Readonly<Record<string, unknown>>,
  path: string,
): EncodedOptions {
  const bag = new Map<number, Uint8Array>();
  const nameOfCode = new Map<number, string>();
  const issues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(table)) {
    const at = `${path}.${name}`;
    const r = encodeOptionValue(name, value);
    if (!r.ok) {
      issues.push({ path: at, problem: r.problem, fix: r.fix });
      continue;
    }
    const controlled = SERVER_CONTROLLED.get(r.code);
    if (controlled !== undefined) {
      issues.push({
        path: at,
        problem: `option ${r.code} is ${controlled.what}, which Tandem sets itself`,
        fix: controlled.fix,
      });
      continue;
    }
    const earlier = nameOfCode.get(r.code);
    if (earlier !== undefined) {
      issues.push({
        path: at,
        problem: `${name} sets option ${r.code}, which ${earlier} already sets`,
        fix: `keep only one of ${earlier} and ${name}`,
      });
      continue;
    }
    nameOfCode.set(r.code, name);
    bag.set(r.code, r.bytes);
  }
  return { bag, issues };
}
