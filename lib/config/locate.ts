/**
 * Best-effort map from key paths ("subnet[1].pool[0].range") to 1-based lines of the TOML text,
 * so semantic errors can point at a line. It understands [table] and [[array]] headers, bare,
 * quoted and dotted keys, and one level of inline table; it skips multi-line strings. A path it
 * does not know falls back to its closest known ancestor (usually the table header).
 */
import { joinPath } from "./issues.ts";

export interface LineLocator {
  /** The line of `path`, or of its nearest located ancestor; undefined when none is known. */
  lineOf(path: string): number | undefined;
}

const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const DOTTED_KEY = String.raw`${KEY_PART}(?:\s*\.\s*${KEY_PART})*`;
const ARRAY_HEADER = new RegExp(String.raw`^\s*\[\[\s*(${DOTTED_KEY})\s*\]\]`);
const TABLE_HEADER = new RegExp(String.raw`^\s*\[\s*(${DOTTED_KEY})\s*\]`);
const KEY_LINE = new RegExp(String.raw`^\s*(${DOTTED_KEY})\s*=\s*(.*)$`);
const INLINE_KEY = new RegExp(String.raw`(?:^|[{,])\s*(${DOTTED_KEY})\s*=`, "g");

export function locateLines(text: string): LineLocator {
  const lines = new Map<string, number>();
  /** Array-of-tables path (with parent indices) -> number of elements seen so far. */
  const arrayCounts = new Map<string, number>();
  const remember = (path: string, line: number) => {
    if (!lines.has(path)) lines.set(path, line);
  };

  /** Resolves header segments to a path, entering the latest element of known arrays. */
  const resolve = (segments: readonly string[], newArrayElement: boolean, line: number) => {
    const out: (string | number)[] = [];
    segments.forEach((segment, i) => {
      out.push(segment);
      const key = joinPath(out);
      const last = i === segments.length - 1;
      if (last && newArrayElement) {
        const index = arrayCounts.get(key) ?? 0;
        arrayCounts.set(key, index + 1);
        remember(key, line);
        out.push(index);
      } else {
        const count = arrayCounts.get(key);
        if (count !== undefined) out.push(count - 1);
      }
      remember(joinPath(out), line);
    });
    return out;
  };

  let table: (string | number)[] = [];
  let inMultiline: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (inMultiline !== undefined) {
      if (countDelimiter(raw, inMultiline) % 2 === 1) inMultiline = undefined;
      return;
    }
    const arrayHeader = ARRAY_HEADER.exec(raw);
    if (arrayHeader?.[1] !== undefined) {
      table = resolve(splitKey(arrayHeader[1]), true, line);
      return;
    }
    const tableHeader = TABLE_HEADER.exec(raw);
    if (tableHeader?.[1] !== undefined) {
      table = resolve(splitKey(tableHeader[1]), false, line);
      return;
    }
    const keyLine = KEY_LINE.exec(raw);
    if (keyLine?.[1] === undefined) return;
    const keyPath = [...table, ...splitKey(keyLine[1])];
    remember(joinPath(keyPath), line);
    const value = keyLine[2] ?? "";
    if (value.trimStart().startsWith("{")) {
      for (const m of value.matchAll(INLINE_KEY)) {
        if (m[1] !== undefined) remember(joinPath([...keyPath, ...splitKey(m[1])]), line);
      }
    }
    for (const delimiter of ['"""', "'''"]) {
      if (countDelimiter(value, delimiter) % 2 === 1) inMultiline = delimiter;
    }
  });

  return {
    lineOf(path: string): number | undefined {
      let p = path;
      for (;;) {
        const found = lines.get(p);
        if (found !== undefined) return found;
        const parent = parentPath(p);
        if (parent === undefined) return undefined;
        p = parent;
      }
    },
  };
}

/** "a.b[2]" -> "a.b"; "a.b" -> "a"; "a" -> undefined. */
export function parentPath(path: string): string | undefined {
  if (path.endsWith("]")) {
    const open = path.lastIndexOf("[");
    return open > 0 ? path.slice(0, open) : undefined;
  }
  const dot = path.lastIndexOf(".");
  return dot > 0 ? path.slice(0, dot) : undefined;
}

/** Splits a TOML dotted key into its parts, unquoting quoted parts. */
function splitKey(key: string): string[] {
  const parts: string[] = [];
  const part = new RegExp(KEY_PART, "y");
  let i = 0;
  while (i < key.length) {
    const c = key[i];
    if (c === "." || c === " " || c === "\t") {
      i++;
      continue;
    }
    part.lastIndex = i;
    const m = part.exec(key);
    if (m === null) break;
    parts.push(unquote(m[0]));
    i = part.lastIndex;
  }
  return parts;
}

function unquote(part: string): string {
  if (part.startsWith('"')) return part.slice(1, -1).replace(/\\(.)/g, "$1");
  if (part.startsWith("'")) return part.slice(1, -1);
  return part;
}

function countDelimiter(text: string, delimiter: string): number {
  return text.split(delimiter).length - 1;
}
