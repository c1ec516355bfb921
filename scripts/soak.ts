/**
 * Runs seeded random pair schedules (tests/helpers/pair_schedule.ts) and prints every seed that
 * ends with an address held by two clients, with its steps. Exit 1 if any.
 * Usage: scripts/soak [--schedules N] [--seed S] [--length L]
 */
import { parseArgs } from "node:util";
import { describe, runSchedule } from "../tests/helpers/pair_schedule.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    schedules: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    length: { type: "string", default: "24" },
  },
});
const n = Number(values.schedules), first = Number(values.seed), length = Number(values.length);
if (![n, first, length].every((x) => Number.isInteger(x) && x > 0)) {
  console.error("soak: --schedules, --seed and --length take positive integers");
  Deno.exit(2);
}
const t0 = performance.now();
let bad = 0, acks = 0;
for (let seed = first; seed < first + n; seed++) {
  const r = await runSchedule(seed, length);
  acks += r.acks;
  if (r.duplicates.length > 0) {
    bad++;
    console.log(`FAIL seed ${seed}: ${r.duplicates.join("; ")}\n${describe(r.steps)}\n`);
  }
  if ((seed - first + 1) % 1000 === 0) console.error(`soak: ${seed - first + 1}/${n}`);
}
const s = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `soak: ${n} schedules (seeds ${first}-${first + n - 1}, ${length} steps), ${acks} ACKs, ` +
    `${bad} with duplicates, ${s} s`,
);
Deno.exit(bad > 0 ? 1 : 0);
