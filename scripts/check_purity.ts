/**
 * The purity check of ARCHITECTURE.md (convention C3): outside lib/platform/, the SQLite store
 * and the runtime loop, nothing under lib/ may read the clock, set timers, draw randomness or
 * touch the OS. Exits 1 and names each offending line.
 */
const ALLOWED = [/^lib\/platform\//, /^lib\/lease\/sqlite_[a-z_]+\.ts$/, /^lib\/server\.ts$/];
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
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`purity: ${problems.length} problem(s); move the I/O into lib/platform/`);
  Deno.exit(1);
}
console.log(`purity: ${files} pure files under lib/ checked, clean`);
