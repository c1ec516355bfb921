import { deepEqual, equal } from "node:assert/strict";
import { REPLAY_WINDOW_SEC, ReplayGuard } from "./replay_guard.ts";

Deno.test("replay guard: in-window messages pass; one behind the followed clock is stale", () => {
  const g = new ReplayGuard();
  deepEqual(g.check("connect", 10, 1000, 0), { ok: true });
  deepEqual(g.check("contact", 11, 1005, 5000), { ok: true });
  // 100 s later on this box's monotonic clock, the partner's clock should read about 1100.
  deepEqual(g.check("contact", 12, 1100 - REPLAY_WINDOW_SEC, 100_000), { ok: true });
  const r = g.check("bndupd", 13, 1050, 100_000);
  equal(r.ok, false);
  if (!r.ok) deepEqual([r.reason, r.behindSec], ["stale", 50]);
});

Deno.test("replay guard: a repeated type and xid on one connection is refused; a new connection forgets xids", () => {
  const g = new ReplayGuard();
  equal(g.check("bndupd", 7, 1000, 0).ok, true);
  const again = g.check("bndupd", 7, 1000, 10);
  deepEqual(again, { ok: false, reason: "repeated", behindSec: 0 });
  equal(g.check("bndack", 7, 1000, 20).ok, true, "another type may use the same xid");
  g.newConnection();
  equal(g.check("bndupd", 7, 1001, 1000).ok, true);
});

Deno.test("replay guard: the clock is followed across connections, so an old CONNECT replayed later is stale", () => {
  const g = new ReplayGuard();
  equal(g.check("connect", 1, 5000, 0).ok, true);
  equal(g.check("contact", 2, 5017, 17_000).ok, true);
  g.newConnection();
  // The CONNECT captured at 5000, replayed 60 s after it was sent.
  const r = g.check("connect", 1, 5000, 60_000);
  equal(r.ok, false);
  // The real partner's CONNECT, on its own clock, passes.
  equal(g.check("connect", 99, 5060, 60_000).ok, true);
});

Deno.test("replay guard: a forward step of the partner's clock is followed, and reported", () => {
  const g = new ReplayGuard();
  equal(g.check("contact", 1, 1000, 0).ok, true);
  deepEqual(g.check("contact", 2, 4600, 1000), { ok: true, steppedSec: 3599 });
  equal(g.check("contact", 3, 1002, 2000).ok, false, "the old clock is now stale");
  equal(g.check("contact", 4, 4601, 2000).ok, true);
});

Deno.test("replay guard: after an hour without a message a backward step is believed", () => {
  const g = new ReplayGuard();
  equal(g.check("contact", 1, 10_000, 0).ok, true);
  g.newConnection();
  equal(g.check("connect", 2, 9000, 3_600_001).ok, true);
});
