/**
 * Issue #8's proof on the code that ships: at least 2,000 seeded random schedules over a real
 * in-process pair (tests/helpers/pair_schedule.ts), each checked for an address held by two
 * clients at once. `scripts/soak --schedules N --seed S` runs more; a failing seed replays
 * exactly with `scripts/soak --schedules 1 --seed S`.
 */
import { equal } from "node:assert/strict";
import { describe, runSchedule } from "./helpers/pair_schedule.ts";

export const CI_SCHEDULES = 2000;
export const CI_FIRST_SEED = 1;

Deno.test(`pair schedules: ${CI_SCHEDULES} seeded random schedules, no address ever held twice`, async () => {
  const t0 = performance.now();
  const failed: string[] = [];
  let acks = 0;
  for (let seed = CI_FIRST_SEED; seed < CI_FIRST_SEED + CI_SCHEDULES; seed++) {
    const r = await runSchedule(seed);
    acks += r.acks;
    if (r.duplicates.length > 0) {
      failed.push(`seed ${seed}: ${r.duplicates[0]}\n${describe(r.steps)}`);
    }
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${CI_SCHEDULES} schedules (seeds ${CI_FIRST_SEED}-${CI_FIRST_SEED + CI_SCHEDULES - 1}), ` +
      `${acks} ACKs, ${failed.length} with duplicates, ${s} s`,
  );
  equal(failed.length, 0, failed.slice(0, 3).join("\n\n"));
});
