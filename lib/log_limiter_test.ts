import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LogLimiter } from "./log_limiter.ts";
import { MemoryLog } from "./event_log.ts";

Deno.test("log limiter: 10 lines per second per event, the rest counted once", () => {
  const log = new MemoryLog();
  let now = 0;
  const limiter = new LogLimiter(log, () => now);
  for (let i = 0; i < 3100; i++) limiter.warn("failover.bndupd_rejected", { i });
  limiter.warn("dhcp.drop.malformed", {});
  now = 1000;
  limiter.warn("failover.bndupd_rejected", {});
  const count = (e: string) => log.events.filter((x) => x.event === e).length;
  assertEquals(count("failover.bndupd_rejected"), 11);
  assertEquals(count("dhcp.drop.malformed"), 1, "each event id has its own budget");
  assertEquals(log.events.find((x) => x.event === "log.suppressed")?.props, {
    event: "failover.bndupd_rejected",
    lines: 3090,
  });
});
