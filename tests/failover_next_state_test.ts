/**
 * The exact next state of the failover machine for every (role, my state, partner state) when
 * communications come up (the partner's first STATE), and for the other events, checked
 * against an expectation written from the draft's text (draft-ietf-dhc-failover-12 §9.4.3,
 * §9.5.2, §9.7.2, §9.8.4, §9.9.3, §9.10.3, §9.11.3, §9.12.3 and Figure 9.2-1), independently
 * of lib/failover/state.ts's TRANSITIONS table.
 */
import { equal } from "node:assert/strict";
import { boot, type FailoverSnapshot, transition } from "../lib/failover/state.ts";
import type { BootParams, FailoverEventBody, FailoverRole } from "../lib/failover/snapshot.ts";
import type { ServerState } from "../lib/failover/options.ts";

const T0 = 1_700_000_000;
const PARAMS: BootParams = {
  role: "primary",
  mcltSec: 3600,
  safePeriodSec: 600,
  startupMs: 5000,
  startupTimeout: "previous-state",
  newPair: true,
};

/** The operating states (STARTUP, PAUSED and SHUTDOWN are left only through a restart). */
const MINE: readonly ServerState[] = [
  "normal",
  "communications-interrupted",
  "partner-down",
  "potential-conflict",
  "resolution-interrupted",
  "conflict-done",
  "recover",
  "recover-wait",
  "recover-done",
];
const PARTNER: readonly ServerState[] = [...MINE, "paused", "shutdown"];

/** §9.9.3, the list of "communications restored" outcomes of COMMUNICATIONS-INTERRUPTED. */
function fromCommInterrupted(p: ServerState): ServerState {
  switch (p) {
    case "normal":
    case "communications-interrupted":
    case "recover-done":
      return "normal";
    case "partner-down":
    case "potential-conflict":
    case "conflict-done":
    case "resolution-interrupted":
      return "potential-conflict";
    case "shutdown":
      return "partner-down";
    default: // RECOVER, PAUSED; RECOVER-WAIT as RECOVER (Figure 9.2-1)
      return "communications-interrupted";
  }
}

/** Written from the draft's text, one state at a time. */
// On contact the outcome does not depend on the role (the role matters for UPDDONE, below).
function expectedOnContact(_role: FailoverRole, mine: ServerState, p: ServerState): ServerState {
  switch (mine) {
    // §9.8.4, §9.2: a change of the partner's state is comm-failed then comm-ok, so NORMAL
    // meeting a partner goes where COMMUNICATIONS-INTERRUPTED would.
    case "normal":
    case "communications-interrupted":
      return fromCommInterrupted(p);
    // §9.4.3.
    case "partner-down":
      if (p === "recover-done") return "normal";
      if (["recover", "recover-wait", "paused", "shutdown"].includes(p)) return "partner-down";
      return "potential-conflict";
    // §9.11.3: any communication -> POTENTIAL-CONFLICT.
    case "resolution-interrupted":
      return "potential-conflict";
    // §9.10.3: left only by UPDDONE (or the conflict resolved); never CONFLICT-DONE as secondary.
    case "potential-conflict":
      return "potential-conflict";
    // §9.12.3: partner NORMAL -> NORMAL; else wait.
    case "conflict-done":
      return p === "normal" ? "normal" : "conflict-done";
    // §9.5.2: partner in a conflict state -> POTENTIAL-CONFLICT; else ask for updates, stay.
    case "recover":
      return ["potential-conflict", "resolution-interrupted", "conflict-done"].includes(p)
        ? "potential-conflict"
        : "recover";
    // §9.6.2: RECOVER-WAIT waits out its timer whatever the partner does.
    case "recover-wait":
      return "recover-wait";
    // §9.7.2 and Figure 9.2-1.
    case "recover-done":
      if (p === "normal" || p === "recover-done") return "normal";
      if (p === "potential-conflict") return "potential-conflict";
      return "recover-done";
    default:
      return mine;
  }
}

function snap(role: FailoverRole, state: ServerState): FailoverSnapshot {
  const base = boot(undefined, { ...PARAMS, role }, T0).next;
  return {
    ...base,
    state,
    sinceSec: T0,
    previousState: state,
    partner: { state: "unknown", startup: false, sinceSec: T0 - 10 },
    connected: true,
    commOk: false,
    storageLost: false,
    firstRun: false,
    lastOperatingSec: T0,
    timeOfFailureSec: T0,
    commInterruptedSec: state === "communications-interrupted" ? T0 : null,
    partnerDownSec: state === "partner-down" ? T0 : null,
    recoverWaitUntilSec: state === "recover-wait" ? T0 + 3600 : null,
  };
}

const feed = (s: FailoverSnapshot, e: FailoverEventBody, nowSec = T0 + 1) =>
  transition(s, { ...e, nowSec } as Parameters<typeof transition>[1]).next.state;

Deno.test("next state on the partner's first STATE: every role x my state x partner state", () => {
  let checked = 0;
  for (const role of ["primary", "secondary"] as const) {
    for (const mine of MINE) {
      for (const p of PARTNER) {
        const got = feed(snap(role, mine), {
          type: "partner-state",
          state: p,
          startup: false,
          startTimeSec: T0 - 5,
        });
        equal(got, expectedOnContact(role, mine, p), `${role} in ${mine}, partner ${p}`);
        checked++;
      }
    }
  }
  equal(checked, 2 * MINE.length * PARTNER.length);
});

Deno.test("next state on the other events, both roles", () => {
  for (const role of ["primary", "secondary"] as const) {
    const on = (mine: ServerState, e: FailoverEventBody, nowSec?: number) =>
      feed(snap(role, mine), e, nowSec);
    for (const mine of MINE) {
      // Communications failed (Figure 9.2-1): NORMAL and POTENTIAL-CONFLICT move, others stay.
      const failed = mine === "normal"
        ? "communications-interrupted"
        : mine === "potential-conflict"
        ? "resolution-interrupted"
        : mine;
      equal(on(mine, { type: "disconnected" }), failed, `${role} ${mine} comm-failed`);
      // Operator: the partner is down (§9.8.4, §9.9.3, §9.11.3), from those three states only.
      const pd = ["normal", "communications-interrupted", "resolution-interrupted"].includes(mine)
        ? "partner-down"
        : mine;
      equal(on(mine, { type: "partner-down-command" }), pd, `${role} ${mine} partner-down`);
    }
    // UPDDONE: RECOVER -> RECOVER-WAIT (§9.5.2); POTENTIAL-CONFLICT -> CONFLICT-DONE on the
    // primary, NORMAL on the secondary (§9.10.3).
    equal(on("recover", { type: "updreq-done" }), "recover-wait");
    equal(
      on("potential-conflict", { type: "updreq-done" }),
      role === "primary" ? "conflict-done" : "normal",
    );
    // RECOVER-WAIT -> RECOVER-DONE when MCLT has passed (§9.6.2), not before.
    equal(on("recover-wait", { type: "mclt-expired" }, T0 + 100), "recover-wait");
    equal(on("recover-wait", { type: "mclt-expired" }, T0 + 3600), "recover-done");
    // The safe period (§9.9.3, §10): COMMUNICATIONS-INTERRUPTED -> PARTNER-DOWN once it passed.
    equal(
      on("communications-interrupted", { type: "auto-partner-down-timer" }, T0 + 100),
      "communications-interrupted",
    );
    equal(
      on("communications-interrupted", { type: "auto-partner-down-timer" }, T0 + 600),
      "partner-down",
    );
  }
});
