/**
 * The purity and layering checks of ARCHITECTURE.md (convention C3):
 * - outside lib/platform/ (the adapters) and lib/app/ (composition, commands, the runtime
 *   loop), nothing under lib/ may read the clock, set timers, draw randomness or touch the OS;
 * - only lib/app/ imports lib/platform/ (and main.ts imports only lib/app/); lib/platform/
 *   never imports lib/app/;
 * - the import graph of main.ts and lib/ has no cycle (type-only imports count too).
 * Exits 1 and names each offending line or cycle.
 */
const ALLOWED = [/^lib\/platform\//, /^lib\/app\//];
const BANNED: readonly [RegExp, string][] = [
  [/\bDate\.now\b/, "Date.now"],
  [/\bnew Date\(/, "new Date("],
  [/\bsetTimeout\b/, "setTimeout"],
  [/\bsetInterval\b/, "setInterval"],
  [/\bMath\.random\b/, "Math.random"],
  [/\bperformance\.now\b/, "performance.now"],
  [/\bDeno\./, "Deno."],
  [/["']node:/, "node: import"],
];

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (p.endsWith(".ts") && !p.endsWith("_test.ts")) yield p;
  }
}

const root = new URL("..", import.meta.url).pathname;
Deno.chdir(root);
const problems: string[] = [];
let files = 0;
for await (const file of walk("lib")) {
  if (ALLOWED.some((r) => r.test(file))) continue;
  files++;
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "");
    if (/^\s*\*/.test(code)) return; // JSDoc lines
    for (const [re, name] of BANNED) {
      if (re.test(code)) problems.push(`${file}:${i + 1}: uses ${name} (only lib/platform may)`);
    }
  });
}
// ---- layers and cycles ----
const SPEC =
  /(?:^|\s)(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|^import\s*["'](\.{1,2}\/[^"']+)["']/gm;
const graph = new Map<string, string[]>();
const sources = ["main.ts"];
for await (const f of walk("lib")) sources.push(f);
for (const file of sources) {
  const text = await Deno.readTextFile(file);
  const deps: string[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2]!;
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
    const parts = `${dir}/${spec}`.split("/");
    const out: string[] = [];
    for (const p of parts) {
      if (p === "." || p === "") continue;
      if (p === "..") out.pop();
      else out.push(p);
    }
    const target = out.join("/");
    deps.push(target);
    const from = file.startsWith("lib/app/")
      ? "app"
      : file.startsWith("lib/platform/")
      ? "platform"
      : file === "main.ts"
      ? "main"
      : "core";
    if (from === "main" && !target.startsWith("lib/app/")) {
      problems.push(`${file}: imports ${target} (main.ts imports only lib/app/)`);
    }
    if (from === "core" && target.startsWith("lib/platform/")) {
      problems.push(`${file}: imports ${target} (only lib/app/ may import lib/platform/)`);
    }
    if ((from === "core" || from === "platform") && target.startsWith("lib/app/")) {
      problems.push(`${file}: imports ${target} (nothing below lib/app/ imports it)`);
    }
  }
  graph.set(file, deps);
}
// Tarjan's strongly connected components: any component of more than one file is a cycle.
let index = 0;
const idx = new Map<string, number>(), low = new Map<string, number>();
const stack: string[] = [], onStack = new Set<string>();
const visit = (v: string) => {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
  }
  if (low.get(v) === idx.get(v)) {
    const comp: string[] = [];
    for (;;) {
      const w = stack.pop()!;
      onStack.delete(w);
      comp.push(w);
      if (w === v) break;
    }
    if (comp.length > 1) problems.push(`import cycle: ${comp.sort().join(" <-> ")}`);
  }
};
for (const v of graph.keys()) if (!idx.has(v)) visit(v);

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    `purity: ${problems.length} problem(s); move I/O into lib/platform/, composition into ` +
      "lib/app/, and break each cycle",
  );
  Deno.exit(1);
}
console.log(
  `purity: ${files} pure files under lib/ checked, clean; ${graph.size} files, no import ` +
    "cycle, layers respected",
);
