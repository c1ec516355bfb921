/**
 * TOML text in, Config out: syntax (smol-toml), then the schema (schema.ts), then semantic
 * checks (semantic.ts), then defaults and encoding (build.ts). Every problem found is
 * reported, each with its key path, line and a fix. Pure: no clock, no file system.
 */
import { parse, TomlError } from "smol-toml";
import { buildConfig } from "./build.ts";
import type { Config } from "./config.ts";
import { ConfigError, type ConfigIssue } from "./issues.ts";
import { type LineLocator, locateLines, parentPath } from "./locate.ts";
import { checkSchema } from "./schema_check.ts";
import { checkSemantics } from "./semantic.ts";

export { ConfigError, type ConfigIssue, formatIssues } from "./issues.ts";

export type ParseConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: ConfigIssue[] }
  | { readonly ok: false; readonly errors: ConfigIssue[] };

export function parseConfig(text: string, _source = "tandem.toml"): ParseConfigResult {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    if (e instanceof TomlError) return { ok: false, errors: [syntaxIssue(e)] };
    throw e;
  }
  const locator = locateLines(text);
  const schema = checkSchema(doc, locator);
  const errors: ConfigIssue[] = [...schema.issues];
  const warnings: ConfigIssue[] = [];
  if (schema.data !== undefined) {
    const semanticErrors: ConfigIssue[] = [];
    const place = (path: string, problem: string, fix: string, linePath?: string) =>
      located(locator, path, problem, fix, linePath);
    checkSemantics(schema.data, {
      error: (...args) => semanticErrors.push(place(...args)),
      warn: (...args) => warnings.push(place(...args)),
    });
    // A key the schema rejected was dropped (so its default stood in for it); findings in
    // the same table may be artefacts of that, so they are left out.
    errors.push(...semanticErrors.filter((i) => !nearRemovedKey(i.path, schema.removed)));
  }
  if (errors.length > 0) return { ok: false, errors: sortByLine(errors) };
  if (schema.data === undefined) {
    throw new Error("parseConfig: schema rejected the document without reporting an issue");
  }
  return { ok: true, config: buildConfig(schema.data), warnings: sortByLine(warnings) };
}

/** Parses or throws a ConfigError listing every problem; for startup code. */
export function parseConfigOrThrow(
  text: string,
  source = "tandem.toml",
): { config: Config; warnings: ConfigIssue[] } {
  const r = parseConfig(text, source);
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

function syntaxIssue(e: TomlError): ConfigIssue {
  const message = (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
  return {
    path: "",
    line: e.line,
    problem: `TOML syntax error at column ${e.column}: ${message}`,
    fix: syntaxFix(message),
  };
}

function syntaxFix(message: string): string {
  if (message.includes("redefine")) {
    return "each key and [table] may appear once; use [[name]] for repeated tables such as [[subnet]]";
  }
  if (message.includes("unfinished string")) return "close the string with a matching quote";
  if (message.includes("invalid value")) {
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
