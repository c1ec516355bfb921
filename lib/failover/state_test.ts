import { SERVER_STATES } from "./options.ts";
import {
  type BootParams,
  type FailoverSnapshot,
  SNAPSHOT_VERSION,
  snapshotFromJson,
  snapshotToJson,
  stateMessageFields,
} from "./snapshot.ts";
import { boot, commFailedState, transition, TRANSITIONS } from "./state.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const T = 1_700_000_000;
const P: BootParams = {
  role: "secondary",
  mcltSec: 3600,
  safePeriodSec: 300,
  startupMs: 5000,
  startupTimeout: "previous-state",
};

function persisted(over: Partial<FailoverSnapshot>): FailoverSnapshot {
  return { ...boot(undefined, P, T).next, storageLost: false, firstRun: false, ...over };
}

Deno.test("table rows are well formed and cite the draft", () => {
  for (const r of TRANSITIONS) {
    assert(SERVER_STATES.includes(r.from) && /§|Figure/.test(r.cite), JSON.stringify(r));
    if (r.to !== undefined) assert(r.to !== r.from && SERVER_STATES.includes(r.to));
  }
  assertEquals(commFailedState("normal"), "communications-interrupted");
  assertEquals(commFailedState("potential-conflict"), "resolution-interrupted");
  assertEquals(commFailedState("recover-done"), "recover-done");
});

Deno.test("§9.3.2 step 5: partner in PARTNER-DOWN since after my last operation -> RECOVER", () => {
  const s = boot(persisted({ state: "normal", lastOperatingSec: T + 10 }), P, T + 100).next;
  assertEquals(stateMessageFields(s).startup, true);
  assertEquals(stateMessageFields(s).serverState, "communications-interrupted");
  const ev = { type: "partner-state", state: "partner-down", startup: false } as const;
  const later = transition(s, { ...ev, startTimeSec: T + 50, nowSec: T + 101 });
  assertEquals(later.next.state, "recover");
  assert(later.effects.some((e) => e.kind === "send-updreq"));
  const earlier = transition(s, { ...ev, startTimeSec: T + 5, nowSec: T + 101 });
  assertEquals(earlier.next.state, "potential-conflict");
});

Deno.test("§9.4.3: PARTNER-DOWN ignores a STATE with the STARTUP flag", () => {
  const s = { ...persisted({ state: "partner-down", partnerDownSec: T }), connected: true };
  const r = transition(s, {
    type: "partner-state",
    state: "normal",
    startup: true,
    startTimeSec: T,
    nowSec: T + 1,
  });
  assertEquals(r.next.state, "partner-down");
  assertEquals(r.path, []);
  const r2 = transition(r.next, {
    type: "partner-state",
    state: "normal",
    startup: false,
    startTimeSec: T,
    nowSec: T + 2,
  });
  assertEquals(r2.next.state, "potential-conflict");
});

Deno.test("secondary keeps the primary's MCLT from CONNECT (§7.8.2 step 7)", () => {
  const r = transition(boot(undefined, P, T).next, { type: "connected", mcltSec: 1800, nowSec: T });
  assertEquals(r.next.mcltSec, 1800);
  assertEquals(r.effects.map((e) => e.kind).slice(0, 2), ["persist-state", "send-state"]);
  const p = transition(boot(undefined, { ...P, role: "primary" }, T).next, {
    type: "connected",
    mcltSec: 1,
    nowSec: T,
  });
  assertEquals(p.next.mcltSec, 3600);
});

Deno.test("timers: stale ones are ignored; RECOVER-WAIT waits MCLT from time of failure", () => {
  const rw = boot(persisted({ state: "recover", lastOperatingSec: T }), P, T + 10).next;
  const r1 = transition({
    ...rw,
    connected: true,
    commOk: true,
    state: "recover",
    partner: { state: "partner-down", startup: false, sinceSec: T },
  }, { type: "updreq-done", nowSec: T + 20 });
  assertEquals(r1.next.state, "recover-wait");
  assertEquals(r1.next.recoverWaitUntilSec, T + 3600);
  assert(
    r1.effects.some((e) =>
      e.kind === "start-timer" && e.timer === "recover-wait" && e.ms === 3580_000
    ),
  );
  assertEquals(
    transition(r1.next, { type: "mclt-expired", nowSec: T + 100 }).next.state,
    "recover-wait",
  );
  assertEquals(
    transition(r1.next, { type: "mclt-expired", nowSec: T + 3600 }).next.state,
    "recover-done",
  );
});

Deno.test("COMM-INT entry starts the safe-period timer; leaving cancels it", () => {
  const n = { ...persisted({ state: "normal" }), connected: true, commOk: true };
  const ci = transition(n, { type: "disconnected", nowSec: T + 1 });
  assertEquals(ci.next.state, "communications-interrupted");
  assert(
    ci.effects.some((e) =>
      e.kind === "start-timer" && e.timer === "safe-period" && e.ms === 300_000
    ),
  );
  assert(ci.effects.some((e) => e.kind === "log" && e.level === "warning"), "§9.9.1 alarm");
  assert(!ci.effects.some((e) => e.kind === "send-state"), "link is down");
  const pd = transition(ci.next, { type: "partner-down-command", nowSec: T + 2 });
  assertEquals(pd.next.state, "partner-down");
  assert(pd.effects.some((e) => e.kind === "cancel-timer" && e.timer === "safe-period"));
  assertEquals(pd.next.partnerDownSec, T + 2);
});

Deno.test("SHUTDOWN/PAUSED remember the state to resume (§9.13.1, §9.14.1)", () => {
  const n = persisted({ state: "normal" });
  const sd = transition(n, { type: "shutdown-command", nowSec: T + 5 }).next;
  assertEquals([sd.state, sd.previousState, sd.lastOperatingSec], ["shutdown", "normal", T + 5]);
  const again = boot(snapshotFromJson(JSON.stringify(sd)), P, T + 50).next;
  assertEquals(again.previousState, "communications-interrupted");
});

Deno.test("§9.3.2 step 1, §9.6.2: no record -> RECOVER, then MCLT from boot before RECOVER-DONE", () => {
  const t0 = T + 5000;
  let s = boot(undefined, P, t0).next;
  assertEquals([s.previousState, s.timeOfFailureSec, s.storageLost], ["recover", t0, true]);
  const at = (n: number) => ({ nowSec: n });
  s = transition(s, { type: "connected", ...at(t0 + 1) }).next;
  s = transition(s, {
    type: "partner-state",
    state: "normal",
    startup: false,
    startTimeSec: T,
    ...at(t0 + 1),
  }).next;
  assertEquals(s.state, "recover");
  s = transition(s, { type: "updreq-done", ...at(t0 + 2) }).next;
  assertEquals(s.state, "recover-wait", "a box without a record waits");
  assertEquals(s.recoverWaitUntilSec, t0 + P.mcltSec);
  assertEquals(transition(s, { type: "mclt-expired", ...at(t0 + 100) }).next.state, "recover-wait");
  const done = transition(s, { type: "mclt-expired", ...at(t0 + P.mcltSec) }).next;
  assertEquals(done.state, "normal", "RECOVER-DONE, partner NORMAL -> NORMAL (§9.7.2)");
  // A commissioned new pair skips the wait: nothing was ever handed out.
  const fresh = boot(undefined, { ...P, newPair: true }, t0).next;
  assertEquals(fresh.timeOfFailureSec, 0);
});

Deno.test("snapshot: versioned; another version is no record, an unversioned one is read", () => {
  const s = persisted({ state: "normal" });
  const text = snapshotToJson(s);
  assertEquals(JSON.parse(text).version, SNAPSHOT_VERSION);
  assertEquals(snapshotFromJson(text), s);
  const { version: _v, ...legacy } = JSON.parse(text);
  assertEquals(snapshotFromJson(JSON.stringify(legacy)), s);
  assertEquals(snapshotFromJson(JSON.stringify({ ...legacy, version: 2 })), undefined);
});

Deno.test("partner-down from STARTUP: a box with its record serves; one without stays out", () => {
  const kept = boot(persisted({ state: "normal" }), P, T).next;
  assertEquals(
    transition(kept, { type: "partner-down-command", nowSec: T + 1 }).next.state,
    "partner-down",
  );
  const wiped = boot(undefined, P, T).next;
  assertEquals(
    transition(wiped, { type: "partner-down-command", nowSec: T + 1 }).next.state,
    "startup",
  );
  // A staged install: a box commissioned as new (--new-pair, empty store) running alone first
  // may be told to serve alone (§9.3.2 step 1); the partner's addresses still wait MCLT (§9.4).
  const staged = boot(undefined, { ...P, newPair: true }, T).next;
  const alone = transition(staged, { type: "partner-down-command", nowSec: T + 1 }).next;
  assertEquals(alone.state, "partner-down");
  assertEquals(alone.partnerDownSec, T + 1);
});

Deno.test("boot: a box that lost its record and restarts before recovering keeps the loss time", () => {
  // Found by the random schedules (seed 201953): lost record, crash before the first tick,
  // restart: the MCLT wait must still run from the loss, not from time 0.
  const lost = boot(undefined, P, T).next;
  assertEquals(lost.timeOfFailureSec, T);
  const again = boot(lost, P, T + 5).next;
  assertEquals([again.storageLost, again.timeOfFailureSec], [true, T]);
  // A record that never operated (lastOperatingSec 0) is no time of failure either.
  const never = boot({ ...lost, storageLost: false, lastOperatingSec: 0 }, P, T + 9).next;
  assertEquals(never.timeOfFailureSec, T + 9);
});

Deno.test("§9.3.2 step 5: a box still in RECOVER-WAIT whose partner went PARTNER-DOWN recovers again", () => {
  // It lost its record and had not served since: its store is no match for the partner's.
  const s = boot(
    persisted({ state: "recover-wait", lastOperatingSec: T + 10, recoverWaitUntilSec: T + 3600 }),
    P,
    T + 100,
  ).next;
  const ev = { type: "partner-state", state: "partner-down", startup: false } as const;
  // Even when the partner went PARTNER-DOWN before this box's last tick in RECOVER-WAIT.
  const r = transition(s, { ...ev, startTimeSec: T + 5, nowSec: T + 101 });
  assertEquals(r.next.state, "recover");
});

Deno.test("§9.6.2: RECOVER-WAIT waits the longest lease, not MCLT, when the partner recovered too", () => {
  const params: BootParams = { ...P, longestLeaseSec: 86_400 };
  const start = boot(undefined, params, T).next; // no record: RECOVER, time of failure T
  const connected = { ...start, connected: true };
  const both = transition(connected, {
    type: "partner-state",
    state: "recover",
    startup: false,
    startTimeSec: T,
    nowSec: T + 1,
  });
  assertEquals(both.next.state, "recover");
  assertEquals(both.next.partnerRecovering, true);
  const done = transition(both.next, { type: "updreq-done", nowSec: T + 2 });
  assertEquals(done.next.state, "recover-wait");
  assertEquals(done.next.recoverWaitUntilSec, T + 86_400, "neither record is whole");
  // The same box with a partner whose record is whole waits MCLT.
  const whole = transition(connected, {
    type: "partner-state",
    state: "communications-interrupted",
    startup: false,
    startTimeSec: T,
    nowSec: T + 1,
  });
  assertEquals(whole.next.partnerRecovering, false);
  const r = transition({ ...whole.next, state: "recover" }, { type: "updreq-done", nowSec: T + 2 });
  assertEquals(r.next.recoverWaitUntilSec, T + 3600);
  // A pair the operator commissions as new (--new-pair) waits nothing, as before.
  const fresh = boot(undefined, { ...params, newPair: true }, T).next;
  const n = transition({ ...fresh, connected: true }, {
    type: "partner-state",
    state: "recover",
    startup: false,
    startTimeSec: T,
    nowSec: T + 1,
  });
  const nd = transition(n.next, { type: "updreq-done", nowSec: T + 2 });
  assert(nd.next.state !== "recover-wait", nd.next.state);
});
