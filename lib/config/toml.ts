/**
 * TOML text in, the document and the line of every key out, from ONE parse: toml-eslint-parser
 * builds a syntax tree with locations (it backs eslint-plugin-toml), the document is read from
 * that tree, and the key lines come from walking it. Semantic errors can then point at the line
 * of the key they are about, or of its nearest located ancestor (usually a table header).
 */
import { type AST, getStaticTOMLValue, ParseError, parseTOML } from "toml-eslint-parser";
import { joinPath } from "./issues.ts";

export interface LineLocator {
  /** The line of `path`, or of its nearest located ancestor; undefined when none is known. */
  lineOf(path: string): number | undefined;
}

export type TomlResult =
  | { readonly ok: true; readonly doc: unknown; readonly locator: LineLocator }
  | {
    readonly ok: false;
    readonly line: number;
    readonly column: number;
    readonly message: string;
  };

export function readToml(text: string): TomlResult {
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(text);
  } catch (e) {
    if (e instanceof ParseError) {
      return { ok: false, line: e.lineNumber, column: e.column + 1, message: e.message };
    }
    throw e;
  }
  const lines = new Map<string, number>();
  const remember = (path: readonly (string | number)[], line: number) => {
    const key = joinPath(path);
    if (!lines.has(key)) lines.set(key, line);
  };
  const walkValue = (path: (string | number)[], node: AST.TOMLContentNode) => {
    if (node.type === "TOMLInlineTable") {
      for (const kv of node.body) walkKeyValue(path, kv);
    } else if (node.type === "TOMLArray") {
      node.elements.forEach((element, i) => {
        remember([...path, i], element.loc.start.line);
        walkValue([...path, i], element);
      });
    }
  };
  const walkKeyValue = (table: readonly (string | number)[], kv: AST.TOMLKeyValue) => {
    const path = [...table];
    for (const k of kv.key.keys) {
      path.push(k.type === "TOMLBare" ? k.name : k.value);
      remember(path, kv.loc.start.line);
    }
    walkValue(path, kv.value);
  };
  for (const top of ast.body[0].body) {
    if (top.type === "TOMLKeyValue") {
      walkKeyValue([], top);
      continue;
    }
    const key = top.resolvedKey;
    // "[[subnet.pool]]" also locates "subnet.pool" (the array) and its parents.
    for (let i = 1; i <= key.length; i++) remember(key.slice(0, i), top.loc.start.line);
    if (top.kind === "array") remember(key.slice(0, -1), top.loc.start.line);
    for (const kv of top.body) walkKeyValue(key, kv);
  }
  return {
    ok: true,
    doc: getStaticTOMLValue(ast),
    locator: {
      lineOf(path: string): number | undefined {
        for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
          const found = lines.get(p);
          if (found !== undefined) return found;
        }
        return undefined;
      },
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
