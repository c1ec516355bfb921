/**
 * The failover state machine against the draft: an exhaustive (my state x partner state x
 * event) matrix checked against an edge list transcribed from draft-12 Figure 9.2-1 and
 * §9.3-§9.14 independently of lib/failover/state.ts's table, plus two-server scenarios.
 */
import { SERVER_STATES, type ServerState } from "../lib/failover/options.ts";
import {
  type BootParams,
  type Effect,
  type FailoverEventBody,
  type FailoverRole,
  type FailoverSnapshot,
  type PartnerState,
  snapshotFromJson,
  snapshotToJson,
  stateMessageFields,
} from "../lib/failover/snapshot.ts";
import { boot, transition } from "../lib/failover/state.ts";
import { assert, assertEquals } from "./helpers/loose_assert.ts";

/** Allowed (from -> to) edges, from Figure 9.2-1 and the "Transitions out of" sections. */
const ALLOWED: Record<ServerState, readonly ServerState[]> = {
  // §9.3.2: to the previous state (any), or RECOVER / POTENTIAL-CONFLICT (step 5), or
  // PARTNER-DOWN for a new server (step 1 last paragraph); SHUTDOWN/PAUSED by command.
  "startup": SERVER_STATES.filter((s) => s !== "startup"),
  // §9.8.4
  "normal": ["communications-interrupted", "partner-down", "shutdown", "paused"],
  // §9.9.3
  "communications-interrupted": [
    "normal",
    "partner-down",
    "potential-conflict",
    "shutdown",
    "paused",
  ],
  // §9.4.3
  "partner-down": ["potential-conflict", "normal", "shutdown", "paused"],
  // §9.10.3
  "potential-conflict": ["resolution-interrupted", "conflict-done", "normal", "shutdown", "paused"],
  // §9.11.3
  "resolution-interrupted": ["potential-conflict", "partner-down", "shutdown", "paused"],
  // §9.12.3
  "conflict-done": ["normal", "shutdown", "paused"],
  // §9.5.2
  "recover": ["potential-conflict", "recover-wait", "shutdown", "paused"],
  // §9.6.2
  "recover-wait": ["recover-done", "shutdown", "paused"],
  // §9.7.2 and Figure 9.2-1 (RECOVER-DONE -> POTENTIAL-CONFLICT)
  "recover-done": ["normal", "potential-conflict", "shutdown", "paused"],
  // §9.13.2, §9.14.3: left only by restart (boot); a shutdown order while paused is allowed.
  "paused": ["shutdown"],
  "shutdown": [],
};

const T0 = 1_700_000_000;
const PARAMS: BootParams = {
  role: "primary",
  mcltSec: 3600,
  safePeriodSec: 600,
  startupMs: 5000,
  startupTimeout: "previous-state",
  // The scenarios start from a commissioned new pair; the MCLT wait of a box without a record
  // is tested on its own below.
  newPair: true,
};

function snap(
  role: FailoverRole,
  state: ServerState,
  partner: PartnerState,
  connected: boolean,
): FailoverSnapshot {
  const base = boot(undefined, { ...PARAMS, role }, T0).next;
  return {
    ...base,
    state,
    sinceSec: T0,
    previousState: state === "startup" ? "communications-interrupted" : state,
    partner: { state: partner, startup: false, sinceSec: T0 - 10 },
    connected,
    commOk: connected && partner !== "unknown",
    storageLost: false,
    firstRun: false,
    lastOperatingSec: T0,
    timeOfFailureSec: T0,
    commInterruptedSec: state === "communications-interrupted" ? T0 : null,
    partnerDownSec: state === "partner-down" ? T0 : null,
    recoverWaitUntilSec: state === "recover-wait" ? T0 + 3600 : null,
  };
}

function events(nowSec: number): FailoverEventBody[] {
  const out: FailoverEventBody[] = [
    { type: "startup-timer-expired" },
    { type: "connected", mcltSec: 1800 },
    { type: "disconnected" },
    { type: "updreq-done" },
    { type: "updates-complete" },
    { type: "partner-down-command" },
    { type: "auto-partner-down-timer" },
    { type: "mclt-expired" },
    { type: "conflict-resolved" },
    { type: "shutdown-command" },
    { type: "pause-command" },
    { type: "tick" },
  ];
  for (const state of SERVER_STATES) {
    if (state === "startup") continue;
    for (const startup of [false, true]) {
      out.push({ type: "partner-state", state, startup, startTimeSec: nowSec - 5 });
    }
  }
  return out;
}

Deno.test("matrix: every (role, state, partner, link, event) moves along allowed edges only", () => {
  let cases = 0;
  for (const role of ["primary", "secondary"] as const) {
    for (const state of SERVER_STATES) {
      if (role === "secondary" && state === "conflict-done") continue; // §9.12.1
      for (const partner of [...SERVER_STATES, "unknown"] as PartnerState[]) {
        for (const connected of [false, true]) {
          // Late enough that every timer guard is satisfied.
          const nowSec = T0 + 7200;
          for (const ev of events(nowSec)) {
            const s = snap(role, state, partner, connected);
            const r = transition(s, { ...ev, nowSec });
            cases++;
            let from = state;
            for (const to of r.path) {
              assert(
                ALLOWED[from].includes(to),
                `${role} ${state} partner=${partner} ${JSON.stringify(ev)}: ${from} -> ${to}`,
              );
              from = to;
            }
            assertEquals(r.next.state, r.path.at(-1) ?? state);
            if (role === "secondary") assert(r.next.state !== "conflict-done");
            assertEquals(snapshotFromJson(snapshotToJson(r.next)), r.next);
            if (r.path.length > 0) assertEquals(r.effects[0]?.kind, "persist-state");
            if (!r.next.connected) {
              assert(!r.effects.some((e) => e.kind.startsWith("send-")), "send while down");
            }
          }
        }
      }
    }
  }
  assert(cases > 10000, `${cases} cases`);
});

/** Two servers wired back to back: send-state effects become the partner's events. */
class Pair {
  s: Record<FailoverRole, FailoverSnapshot>;
  sent: Record<FailoverRole, Effect["kind"][]> = { primary: [], secondary: [] };
  now = T0;

  constructor(
    p: FailoverSnapshot | undefined,
    s: FailoverSnapshot | undefined,
    params: Partial<BootParams> = {},
  ) {
    this.s = {
      primary: boot(p, { ...PARAMS, ...params, role: "primary" }, T0).next,
      secondary: boot(s, { ...PARAMS, ...params, role: "secondary" }, T0).next,
    };
  }

  other(r: FailoverRole): FailoverRole {
    return r === "primary" ? "secondary" : "primary";
  }

  feed(role: FailoverRole, ev: FailoverEventBody): void {
    const r = transition(this.s[role], { ...ev, nowSec: this.now });
    this.s[role] = r.next;
    for (const e of r.effects) {
      this.sent[role].push(e.kind);
      if (e.kind === "send-state" && this.s[this.other(role)].connected) {
        const f = stateMessageFields(r.next);
        this.feed(this.other(role), {
          type: "partner-state",
          state: f.serverState,
          startup: f.startup,
          startTimeSec: f.startTimeOfStateSec,
        });
      }
    }
  }

  connect(): void {
    this.s.secondary = { ...this.s.secondary, connected: true };
    this.feed("primary", { type: "connected" });
    this.feed("secondary", { type: "connected", mcltSec: this.s.primary.mcltSec });
  }

  disconnect(): void {
    this.feed("primary", { type: "disconnected" });
    this.feed("secondary", { type: "disconnected" });
  }

  states(): [ServerState, ServerState] {
    return [this.s.primary.state, this.s.secondary.state];
  }
}

Deno.test("scenario: first start of both servers -> RECOVER -> UPDREQALL -> NORMAL", () => {
  const p = new Pair(undefined, undefined);
  p.connect();
  assertEquals(p.states(), ["recover", "recover"]);
  assert(p.sent.primary.includes("send-updreqall"));
  p.feed("secondary", { type: "updates-complete" });
  p.feed("primary", { type: "updreq-done" });
  // timeOfFailure 0 + MCLT is long past: RECOVER-WAIT is passed straight through (§9.6.2).
  assertEquals(p.states()[0], "recover-done");
  p.feed("primary", { type: "updates-complete" });
  p.feed("secondary", { type: "updreq-done" });
  assertEquals(p.states(), ["normal", "normal"]);
  assert(p.sent.secondary.includes("send-poolreq"));
  assert(!p.s.primary.storageLost);
});

function normalPair(): Pair {
  const p = new Pair(undefined, undefined);
  p.connect();
  p.feed("primary", { type: "updreq-done" });
  p.feed("secondary", { type: "updreq-done" });
  assertEquals(p.states(), ["normal", "normal"]);
  return p;
}

Deno.test("scenario: partition NORMAL -> COMM-INT -> reconnect -> NORMAL (§9.9.3)", () => {
  const p = normalPair();
  p.now += 100;
  p.disconnect();
  assertEquals(p.states(), ["communications-interrupted", "communications-interrupted"]);
  p.now += 100;
  p.connect();
  assertEquals(p.states(), ["normal", "normal"]);
});

Deno.test("scenario: safe period -> PARTNER-DOWN; partner restarts -> RECOVER -> NORMAL", () => {
  const p = normalPair();
  p.now += 100;
  p.disconnect();
  p.now += 599;
  p.feed("primary", { type: "auto-partner-down-timer" });
  assertEquals(p.states()[0], "communications-interrupted", "stale/early timer ignored");
  p.now += 1;
  p.feed("primary", { type: "auto-partner-down-timer" });
  assertEquals(p.states()[0], "partner-down");
  assertEquals(p.s.primary.partnerDownSec, p.now);
  // The secondary restarts later and reconnects; the primary's PD start is after its last op.
  p.now += 50;
  p.s.secondary = boot(p.s.secondary, { ...PARAMS, role: "secondary" }, p.now).next;
  p.connect();
  assertEquals(p.states(), ["partner-down", "recover"]);
  assert(p.sent.secondary.includes("send-updreq"));
  p.feed("primary", { type: "updates-complete" });
  p.feed("secondary", { type: "updreq-done" });
  assertEquals(p.states(), ["partner-down", "recover-wait"]);
  p.now += 3600;
  p.feed("secondary", { type: "mclt-expired" });
  assertEquals(p.states(), ["normal", "normal"]);
});

Deno.test("scenario: both PARTNER-DOWN -> POTENTIAL-CONFLICT resolved by the primary first", () => {
  const p = normalPair();
  p.disconnect();
  p.feed("primary", { type: "partner-down-command" });
  p.feed("secondary", { type: "partner-down-command" });
  p.now += 10;
  p.connect();
  assertEquals(p.states(), ["potential-conflict", "potential-conflict"]);
  assert(p.sent.primary.includes("send-updreq"));
  p.sent.secondary = [];
  p.feed("secondary", { type: "updates-complete" });
  p.feed("primary", { type: "updreq-done" });
  assertEquals(p.states(), ["conflict-done", "potential-conflict"]);
  assert(p.sent.secondary.includes("send-updreq"), "§9.10.3 secondary asks after CD");
  p.feed("primary", { type: "updates-complete" });
  p.feed("secondary", { type: "updreq-done" });
  assertEquals(p.states(), ["normal", "normal"]);
});

Deno.test("scenario: partner SHUTDOWN -> PARTNER-DOWN; PAUSED -> COMM-INT (§9.8.4)", () => {
  const a = normalPair();
  a.feed("secondary", { type: "shutdown-command" });
  assertEquals(a.states(), ["partner-down", "shutdown"]);
  assertEquals(a.s.secondary.previousState, "recover", "§9.14.2 partner went PARTNER-DOWN");
  const b = normalPair();
  b.feed("secondary", { type: "pause-command" });
  assertEquals(b.states(), ["communications-interrupted", "paused"]);
  assertEquals(b.s.secondary.previousState, "normal");
});

Deno.test("restart: NORMAL persisted -> STARTUP -> (timer) COMM-INT; PD kept with its time", () => {
  const p = normalPair();
  const saved = snapshotFromJson(snapshotToJson(p.s.primary));
  assert(saved !== undefined);
  const r = boot(saved, PARAMS, T0 + 500);
  assertEquals(r.next.state, "startup");
  assertEquals(r.next.previousState, "communications-interrupted");
  assert(r.effects.some((e) => e.kind === "start-timer" && e.timer === "startup"));
  const t = transition(r.next, { type: "startup-timer-expired", nowSec: T0 + 505 });
  assertEquals(t.next.state, "communications-interrupted");
  const pd = { ...saved, state: "partner-down" as const, partnerDownSec: T0 + 7 };
  const b = boot(pd, PARAMS, T0 + 900).next;
  assertEquals([b.previousState, b.partnerDownSec], ["partner-down", T0 + 7]);
  const w = transition(boot(undefined, { ...PARAMS, startupTimeout: "wait" }, T0).next, {
    type: "startup-timer-expired",
    nowSec: T0 + 9,
  });
  assertEquals(w.next.state, "startup");
  const n = transition(
    boot(undefined, { ...PARAMS, startupTimeout: "partner-down-if-new" }, T0).next,
    { type: "startup-timer-expired", nowSec: T0 + 9 },
  );
  assertEquals(n.next.state, "partner-down");
});
