/**
 * Encodes one level's [options] table into an OptionBag with encodeOptionValue. Levels stay
 * separate (global < subnet < pool < reservation); the DHCP core merges them per reply.
 * Names, values and options the server owns (lease time, server identifier...) are judged by
 * the registry; this file adds what only a whole table can show: one code set twice.
 */
import type { OptionBag } from "../wire/dhcp_options.ts";
import { encodeOptionValue } from "../wire/option_registry.ts";
import type { ConfigIssue } from "./issues.ts";

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
