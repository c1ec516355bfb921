import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BINDING_STATES } from "./lease.ts";
import { bndupdRule, isLegalMove, stateAfterAcceptedBndupd } from "./transitions.ts";

Deno.test("transitions: this-server follows Figure 5.11-1", () => {
  const legal = (from: string, to: string) =>
    isLegalMove(from as never, to as never, "this-server");
  // Allocation: primary from FREE, secondary from BACKUP.
  assertEquals(legal("free", "active"), true);
  assertEquals(legal("backup", "active"), true);
  assertEquals(legal("free", "backup"), true);
  // End of a binding.
  assertEquals(legal("active", "expired"), true);
  assertEquals(legal("active", "released"), true);
  assertEquals(legal("active", "free"), false);
  assertEquals(legal("active", "backup"), false);
  // Comm w/ Partner.
  for (const s of ["expired", "released", "reset"]) assertEquals(legal(s, "free"), true);
  for (const s of ["expired", "released", "reset"]) assertEquals(legal(s, "backup"), true);
  // Same client again before the BNDUPD goes out; RESET leased in PARTNER-DOWN after MCLT.
  assertEquals(legal("expired", "active"), true);
  assertEquals(legal("reset", "active"), true);
  assertEquals(legal("backup", "free"), false, "never BACKUP back to FREE");
  // ABANDONED only leaves through RESET (note 3).
  assertEquals(legal("abandoned", "reset"), true);
  for (const s of ["free", "active", "expired", "released", "backup"]) {
    assertEquals(legal("abandoned", s), false, s);
  }
  // DECLINE and operator command from any state; rewriting in place always.
  for (const s of BINDING_STATES) {
    assertEquals(legal(s, "abandoned"), true, s);
    assertEquals(legal(s, "reset"), true, s);
    assertEquals(legal(s, s), true, s);
  }
  assertEquals(legal("backup", "free"), false);
});

Deno.test("transitions: partner updates follow Figure 7.1.3-1", () => {
  assertEquals(bndupdRule("active", "active"), "accept-same-client");
  assertEquals(bndupdRule("active", "expired"), "time-expiry");
  assertEquals(bndupdRule("active", "released"), "time-cltt");
  assertEquals(bndupdRule("active", "backup"), "time-expiry");
  assertEquals(bndupdRule("active", "abandoned"), "accept");
  assertEquals(bndupdRule("released", "expired"), "time-cltt");
  assertEquals(bndupdRule("reset", "active"), "time-start");
  assertEquals(bndupdRule("free", "active"), "accept");
  assertEquals(bndupdRule("abandoned", "free"), "reject-less-critical");
  assertEquals(bndupdRule("abandoned", "reset"), "accept");
  assertEquals(isLegalMove("abandoned", "active", "partner"), false);
  assertEquals(isLegalMove("abandoned", "reset", "partner"), true);
  assertEquals(isLegalMove("active", "free", "partner"), true);
  for (const held of BINDING_STATES) {
    for (const received of BINDING_STATES) {
      assertEquals(
        isLegalMove(held, received, "partner"),
        // FREE/BACKUP: what an accepted EXPIRED/RELEASED/RESET is stored as (§5.11 end).
        held !== "abandoned" || ["reset", "abandoned", "free", "backup"].includes(received),
        `${held} <- ${received}`,
      );
    }
  }
});

Deno.test("transitions: accepted EXPIRED/RELEASED/RESET are stored as FREE (§5.11)", () => {
  assertEquals(stateAfterAcceptedBndupd("expired", "free"), "free");
  assertEquals(stateAfterAcceptedBndupd("released", "free"), "free");
  assertEquals(stateAfterAcceptedBndupd("reset", "free"), "free");
  // The secondary's share goes back to BACKUP, on both boxes (serving.ts ownerStateOf).
  assertEquals(stateAfterAcceptedBndupd("expired", "backup"), "backup");
  assertEquals(stateAfterAcceptedBndupd("released", "backup"), "backup");
  assertEquals(stateAfterAcceptedBndupd("active", "backup"), "active");
  assertEquals(stateAfterAcceptedBndupd("backup", "free"), "backup");
});
