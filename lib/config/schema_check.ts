/**
 * Runs the zod schema over the parsed TOML document and words its findings as ConfigIssues
 * (unknown keys get a "did you mean"). To report semantic errors in the same run, keys the
 * schema rejected are removed and the document is checked again; when that succeeds, the
 * result (with defaults in their place) goes on to the semantic checks.
 */
import type { z } from "zod";
import { closestMatch, type ConfigIssue, joinPath } from "./issues.ts";
import type { LineLocator } from "./toml.ts";
import { configSchema, everyKnownKey, knownKeysAt, type RawConfig } from "./schema.ts";

export interface SchemaResult {
  /** Present when the document (possibly with rejected keys removed) fits the schema. */
  readonly data?: RawConfig;
  readonly issues: readonly ConfigIssue[];
  /** Paths of the keys removed before `data` was produced. */
  readonly removed: readonly string[];
}

type Segments = readonly PropertyKey[];

export function checkSchema(doc: unknown, locator: LineLocator): SchemaResult {
  const first = configSchema.safeParse(doc);
  if (first.success) return { data: first.data, issues: [], removed: [] };
  const issues = first.error.issues.flatMap((i) => describeIssue(i, doc, locator));

  // Remove what was rejected and try once more, so semantic checks can still run.
  let pruned: unknown = doc;
  const removed: string[] = [];
  for (const issue of first.error.issues) {
    const targets: Segments[] = issue.code === "unrecognized_keys"
      ? issue.keys.map((k) => [...issue.path, k])
      : [issue.path];
    for (const target of targets) {
      const keyPath = upToLastKey(target);
      if (keyPath.length === 0) continue;
      pruned = withoutKey(pruned, keyPath);
      removed.push(joinPath(keyPath));
    }
  }
  const second = configSchema.safeParse(pruned);
  return second.success ? { data: second.data, issues, removed } : { issues, removed };
}

function describeIssue(issue: z.core.$ZodIssue, doc: unknown, locator: LineLocator) {
  const at = (segments: Segments, problem: string, fix: string): ConfigIssue => {
    const path = joinPath(segments);
    const line = locator.lineOf(path);
    return line === undefined ? { path, problem, fix } : { path, line, problem, fix };
  };
  const path = issue.path;
  const key = String(path.at(-1) ?? "");
  const value = valueAt(doc, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) =>
        at([...path, k], `unknown key "${k}"`, unknownKeyFix(k, path, valueAt(doc, [...path, k])))
      );
    case "invalid_type": {
      if (value === undefined) {
        return [at(path, `${key} is required here`, REQUIRED_FIX[key] ?? `add ${key} = ...`)];
      }
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [at(path, `expected ${expected}, found ${describeValue(value)}`, typeFix(issue))];
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const limit = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === "string") {
        return [
          at(
            path,
            small ? `${key} must not be empty` : `${key} is too long`,
            small ? "give it a value" : `use at most ${limit} characters`,
          ),
        ];
      }
      const problem = `${describeValue(value)} is ${small ? "below" : "above"} the ${
        small ? "minimum" : "maximum"
      } ${limit}`;
      return [at(path, problem, `use a value ${small ? ">=" : "<="} ${limit}`)];
    }
    case "invalid_value": {
      const allowed = issue.values.map((v) => `"${String(v)}"`);
      const near = typeof value === "string"
        ? closestMatch(value, issue.values.map(String))
        : undefined;
      const fix = near === undefined
        ? `use one of ${allowed.join(", ")}`
        : `did you mean "${near}"? (one of ${allowed.join(", ")})`;
      return [at(path, `${describeValue(value)} is not a valid ${key}`, fix)];
    }
    default:
      return [at(path, issue.message, "see tandem.example.toml for the expected form")];
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "a table",
  record: "a table",
};

const REQUIRED_FIX: Record<string, string> = {
  server_id: 'set server_id to this server\'s own IPv4 address, e.g. server_id = "192.0.2.10"' +
    " (it is sent as option 54, RFC 2132 §9.7)",
  cidr: 'give the subnet its network, e.g. cidr = "192.0.2.0/24"',
  ip: 'give the reservation its address, e.g. ip = "192.0.2.20"',
  my_address: "set my_address to the address this server accepts failover connections on",
  partner_address: "set partner_address to the partner server's failover address",
  shared_secret: "set the same shared_secret (16 or more characters) on both servers",
};

function typeFix(issue: z.core.$ZodIssueInvalidType): string {
  switch (issue.expected) {
    case "string":
      return 'put the value in double quotes, e.g. "192.0.2.1"';
    case "int":
      return "use a whole number without quotes";
    case "number":
    case "boolean":
      return "write the value without quotes";
    case "array":
      return 'use an array, e.g. ["192.0.2.1"]';
    case "object":
    case "record":
      return `make it a table: [${joinPath(issue.path.filter((s) => typeof s === "string"))}]`;
    default:
      return "see tandem.example.toml for the expected form";
  }
}

function unknownKeyFix(key: string, table: Segments, value: unknown): string {
  const near = closestMatch(key, knownKeysAt(table));
  if (near !== undefined) return `did you mean "${near}"?`;
  const elsewhere = everyKnownKey().filter((k) => k.key === key);
  const header = elsewhere.find((k) => k.header !== undefined)?.header;
  if (header !== undefined) return `did you mean ${header}?`;
  if (elsewhere.length > 0) {
    return `${key} belongs in ${elsewhere.map((k) => k.table).join(" or ")}; move it there`;
  }
  const where = table.length === 0 ? "at the top level" : `in [${joinPath(table)}]`;
  const valid = knownKeysAt(table).join(", ");
  const kind = typeof value === "object" && value !== null ? "table" : "key";
  return `remove this ${kind}; valid keys ${where} are: ${valid}`;
}

/** A short description of a TOML value for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) {
    return "toISOString" in value ? "a date/time" : "a table";
  }
  return "nothing";
}

function valueAt(doc: unknown, segments: Segments): unknown {
  let v = doc;
  for (const s of segments) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return v;
}

/** Cuts a path after its last table key, so array elements are removed with their array. */
function upToLastKey(segments: Segments): Segments {
  let end = segments.length;
  while (end > 0 && typeof segments[end - 1] === "number") end--;
  return segments.slice(0, end);
}

/** A copy of `doc` without the key at `segments`; the original is left alone. */
function withoutKey(doc: unknown, segments: Segments): unknown {
  if (typeof doc !== "object" || doc === null || segments.length === 0) return doc;
  const [head, ...rest] = segments as [PropertyKey, ...PropertyKey[]];
  if (Array.isArray(doc)) {
    return doc.map((v, i) => (i === head ? withoutKey(v, rest) : v));
  }
  const copy: Record<PropertyKey, unknown> = { ...(doc as Record<PropertyKey, unknown>) };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutKey(copy[head], rest);
  return copy;
}
