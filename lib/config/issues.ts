/**
 * Configuration problems as values: each names the key path, the line when known, what is
 * wrong and how to fix it. Startup code turns them into a ConfigError (ARCHITECTURE.md:
 * exceptions are for start-up errors, with the key path and a fix hint).
 */

export interface ConfigIssue {
  /** Key path in TOML terms, e.g. "subnet[1].pool[0].range"; "" for the whole document. */
  readonly path: string;
  /** 1-based line in the TOML text, when it could be located. */
  readonly line?: number;
  readonly problem: string;
  readonly fix: string;
}

/** One line per issue: `tandem.toml:42: subnet[1].pool[0].range: <problem> — fix: <fix>`. */
export function formatIssues(source: string, issues: readonly ConfigIssue[]): string {
  return issues.map((i) => formatIssue(source, i)).join("\n");
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? source : `${source}:${issue.line}`;
  const path = issue.path === "" ? "" : ` ${issue.path}:`;
  const fix = issue.fix === "" ? "" : ` — fix: ${issue.fix}`;
  return `${where}:${path} ${issue.problem}${fix}`;
}

/** Thrown by startup code when the configuration cannot be used; carries every issue. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`${source}: ${count} in the configuration\n${formatIssues(source, issues)}`);
    this.source = source;
    this.issues = issues;
  }
}

/** Renders a key path from segments: ["subnet", 1, "pool"] -> "subnet[1].pool". */
export function joinPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out;
}

/** The closest candidate to `word` when it is plausibly a typo of it, else undefined. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replaceAll("-", "_");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase().replaceAll("-", "_"));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Allow about one edit per three characters, at least one and at most three.
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) row.push(i === 0 ? j : 0);
    rows.push(row);
  }
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, at(i - 2, j - 2) + 1);
      }
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}
