/**
 * TOML text in, Config out, each value read once: one TOML parse gives the document and every
 * key's line (toml.ts); the zod schema checks types and fills defaults (schema.ts); the
 * semantic checks parse addresses, ranges and options and build the typed Config from them
 * (semantic.ts). Every problem found is reported, each with its key path, line and a fix.
 * Pure: no clock, no file system.
 */
import type { Config } from "./config.ts";
import { ConfigError, type ConfigIssue } from "./issues.ts";
import { type LineLocator, parentPath, readToml } from "./toml.ts";
import { checkSchema } from "./schema_check.ts";
import { checkSemantics } from "./semantic.ts";
import { type BoxChoice, selectBox } from "./pair_file.ts";

export { ConfigError, type ConfigIssue, formatIssues } from "./issues.ts";

export type ParseConfigResult =
  | {
    readonly ok: true;
    readonly config: Config;
    readonly warnings: ConfigIssue[];
    /** The [[box]] this host is, in a file that holds both boxes of a pair. */
    readonly box?: string;
  }
  | { readonly ok: false; readonly errors: ConfigIssue[] };

/** `who` picks this host's [[box]] in a file that holds both boxes (pair_file.ts). */
export function parseConfig(
  text: string,
  _source = "tandem.toml",
  who: BoxChoice = {},
): ParseConfigResult {
  const toml = readToml(text);
  if (!toml.ok) return { ok: false, errors: [syntaxIssue(toml, text)] };
  const selected = selectBox(toml.doc, who);
  if (selected.kind === "error") {
    return {
      ok: false,
      errors: sortByLine(
        selected.issues.map((i) => located(toml.locator, i.path, i.problem, i.fix)),
      ),
    };
  }
  const doc = selected.kind === "pair" ? selected.doc : toml.doc;
  // In a pair file, keys the box set (role, server_id, failover addresses) are named and
  // located where the operator wrote them: in the [[box]] table.
  const alias = (path: string) =>
    selected.kind === "pair" ? selected.aliases.get(path) ?? path : path;
  const locator: LineLocator = { lineOf: (path) => toml.locator.lineOf(alias(path)) };
  const r = parseConfigDoc(doc, locator, alias);
  return r.ok && selected.kind === "pair" ? { ...r, box: selected.name } : r;
}

/**
 * The checks from the document on (schema, then semantics): for a file (parseConfig) and for a
 * document merged from a partner's scopes (scope_doc.ts), which has no lines to point at.
 */
export function parseConfigDoc(
  doc: unknown,
  locator: LineLocator = { lineOf: () => undefined },
  alias: (path: string) => string = (p) => p,
): ParseConfigResult {
  const schema = checkSchema(doc, locator);
  const errors: ConfigIssue[] = schema.issues.map((i) => ({ ...i, path: alias(i.path) }));
  const warnings: ConfigIssue[] = [];
  let config: Config | undefined;
  if (schema.data !== undefined) {
    const semanticErrors: ConfigIssue[] = [];
    const place = (path: string, problem: string, fix: string, linePath?: string) =>
      located(
        locator,
        alias(path),
        problem,
        fix,
        linePath === undefined ? undefined : alias(linePath),
      );
    config = checkSemantics(schema.data, {
      error: (...args) => semanticErrors.push(place(...args)),
      warn: (...args) => warnings.push(place(...args)),
    });
    // A key the schema rejected was dropped (so its default stood in for it); findings in
    // the same table may be artefacts of that, so they are left out.
    errors.push(
      ...semanticErrors.filter((i) => !nearRemovedKey(i.path, schema.removed.map(alias))),
    );
  }
  if (errors.length > 0) return { ok: false, errors: sortByLine(errors) };
  if (config === undefined) {
    throw new Error("parseConfig: schema rejected the document without reporting an issue");
  }
  return { ok: true, config: { ...config, sourceDoc: doc }, warnings: sortByLine(warnings) };
}

/** Parses or throws a ConfigError listing every problem; for startup code. */
export function parseConfigOrThrow(
  text: string,
  source = "tandem.toml",
  who: BoxChoice = {},
): { config: Config; warnings: ConfigIssue[] } {
  const r = parseConfig(text, source, who);
  if (!r.ok) throw new ConfigError(source, r.errors);
  return { config: r.config, warnings: r.warnings };
}

function located(
  locator: LineLocator,
  path: string,
  problem: string,
  fix: string,
  linePath?: string,
): ConfigIssue {
  const line = locator.lineOf(linePath ?? path);
  return line === undefined ? { path, problem, fix } : { path, line, problem, fix };
}

function syntaxIssue(
  e: { line: number; column: number; message: string },
  text: string,
): ConfigIssue {
  const lines = text.split(/\r?\n/);
  // A missing value or an unclosed "[table" header is noticed only at the start of a later
  // line; point at the line where it is missing instead.
  let line = e.line;
  let column = e.column;
  if (column === 1 && /Unspecified value|must be on the same line/.test(e.message)) {
    let prev = line - 1;
    while (prev > 1 && (lines[prev - 1] ?? "").trim() === "") prev--;
    if (prev >= 1 && prev < line) {
      line = prev;
      column = (lines[prev - 1] ?? "").trimEnd().length + 1;
    }
  }
  const header = lines[line - 1] ?? "";
  if (/^\s*\[[^\]]*$/.test(header)) {
    return {
      path: "",
      line,
      problem: `TOML syntax error: the table header ${header.trim()} is not closed`,
      fix: "end it with ] (or ]] for an array of tables such as [[subnet]])",
    };
  }
  return {
    path: "",
    line,
    problem: `TOML syntax error at column ${column}: ${e.message}`,
    fix: syntaxFix(e.message),
  };
}

function syntaxFix(message: string): string {
  if (message.includes("multiple times")) {
    return "each key and [table] may appear once; use [[name]] for repeated tables such as [[subnet]]";
  }
  if (message.startsWith("Unterminated string")) return "close the string with a matching quote";
  if (message.startsWith("Unterminated")) {
    return "close it: ] for an array or [table], } for an inline table";
  }
  if (/Unspecified value|Unexpected (character|token)/.test(message)) {
    return 'quote strings ("192.0.2.1"), write numbers and true/false bare, arrays as [a, b]';
  }
  return "see tandem.example.toml for TOML examples: key = value, [table], [[array-of-tables]]";
}

/** Findings that depend on a top-level key's value, beyond the key's own table. */
const DEPENDENTS: Readonly<Record<string, readonly string[]>> = {
  role: ["failover", "http.admin_token"],
  server_id: ["subnet"],
};

function nearRemovedKey(path: string, removed: readonly string[]): boolean {
  const within = (scope: string) =>
    path === scope || path.startsWith(`${scope}.`) || path.startsWith(`${scope}[`);
  return removed.some((r) => {
    const table = parentPath(r);
    return within(table ?? r) || (DEPENDENTS[r] ?? []).some(within);
  });
}

function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, order) => ({ issue, order }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.order - b.order)
    .map((x) => x.issue);
}
