import { equal, ok } from "node:assert/strict";
import { Pair } from "./helpers/pair_harness.ts";

Deno.test("pair: fresh boxes reach NORMAL; primary serves, secondary gets every binding", async () => {
  const pair = new Pair();
  try {
    const t = await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
    ok(t >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
    for (let c = 1; c <= 20; c++) ok(pair.dora(c) !== undefined, `client ${c} served`);
    equal(new Set(pair.acks.map((a) => a.box)).size, 1, "hot-standby: one box answers");
    equal(pair.acks[0]!.box, "a");
    await pair.advance(500);
    equal(pair.b.activeLeases().length, 20, "every lease replicated to the secondary");
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});
