/**
 * Legal binding-status moves, as draft-ietf-dhc-failover-12 draws them.
 *
 * "this-server": the arrows of Figure 5.11-1, for changes this server makes on its own (a
 * client message, a lease timer, an operator command, or a BNDACK from the partner completing
 * "Comm w/ Partner"). "partner": a BNDUPD received from the partner and accepted under §7.1.3
 * (Figure 7.1.3-1), where only ABANDONED refuses to leave for anything but RESET.
 *
 * The tables answer "may this state follow that one at all"; the conditions the draft attaches
 * (MCLT, PARTNER-DOWN, client-last-transaction-time, same client) are the caller's to check.
 * Rewriting a record without changing its state (a renewal, a new potential expiration) is
 * always legal.
 */
import type { BindingState } from "./lease.ts";

export type MoveActor = "this-server" | "partner";

/** Figure 5.11-1, except the two "from any state" arrows, which isLegalMove adds. */
const THIS_SERVER: Readonly<Record<BindingState, readonly BindingState[]>> = {
  // "IP address leased by primary"; "IP addr alloc. to sec." and "IP addr reserved" -> BACKUP.
  free: ["active", "backup"],
  // "IP addr leased by secondary" (or by the primary in PARTNER-DOWN after MCLT, §5.11).
  backup: ["active"],
  // "Lease on IP addr expires" (possibly after a grace period); "DHCPRELEASE".
  active: ["expired", "released"],
  // "Comm w/ Partner" (1): FREE in the draft; Tandem fixes each address's owner by config
  // (lib/failover/serving.ts ownerStateOf), so the secondary's share returns to BACKUP, on
  // both boxes alike. §5.11 also lets the same client have it back before the BNDUPD
  // carrying EXPIRED / RELEASED is sent.
  expired: ["free", "backup", "active"],
  released: ["free", "backup", "active"],
  // (1) then "IP address leased": in PARTNER-DOWN after the MCLT wait a RESET address may be
  // leased at once (§5.11 note 1, §9.4.2), both arrows in one write.
  reset: ["free", "backup", "active"],
  // (3): implementation-specific handling of ABANDONED addresses, via RESET.
  abandoned: ["reset"],
};

/**
 * Figure 7.1.3-1, by the receiving server's state and the binding-status in the BNDUPD.
 * "time-cltt" = time(1), "time-expiry" = time(2), "time-start" = time(3); "accept-same-client"
 * = note (5): a different client is accepted only by the secondary.
 */
export type BndupdRule =
  | "accept"
  | "accept-same-client"
  | "time-cltt"
  | "time-expiry"
  | "time-start"
  | "reject-less-critical";

type Column = "active" | "expired" | "released" | "free-backup" | "reset-abandoned";

const BNDUPD: Readonly<Record<BindingState, Readonly<Record<Column, BndupdRule>>>> = (() => {
  const all = (r: BndupdRule): Record<Column, BndupdRule> => ({
    active: r,
    expired: r,
    released: r,
    "free-backup": r,
    "reset-abandoned": r,
  });
  const freeOrBackup = all("accept");
  return {
    active: {
      active: "accept-same-client",
      expired: "time-expiry",
      released: "time-cltt",
      "free-backup": "time-expiry",
      "reset-abandoned": "accept",
    },
    expired: { ...all("accept"), active: "time-cltt" },
    released: { ...all("accept"), active: "time-cltt", expired: "time-cltt" },
    free: freeOrBackup,
    backup: freeOrBackup,
    reset: { ...all("accept"), active: "time-start" },
    abandoned: { ...all("reject-less-critical"), "reset-abandoned": "accept" },
  };
})();

function column(received: BindingState): Column {
  switch (received) {
    case "free":
    case "backup":
      return "free-backup";
    case "reset":
    case "abandoned":
      return "reset-abandoned";
    default:
      return received;
  }
}

/** How §7.1.3 treats a BNDUPD carrying `received` for an address this server holds in `held`. */
export function bndupdRule(held: BindingState, received: BindingState): BndupdRule {
  return BNDUPD[held][column(received)];
}

/** The binding states that end with "Comm w/ Partner" (Figure 5.11-1 arrow 1). */
export function endsOnAck(s: BindingState): boolean {
  return s === "expired" || s === "released" || s === "reset";
}

/**
 * §5.11 (end): the server accepting a BNDUPD with EXPIRED, RELEASED or RESET sets the address
 * to FREE ("Comm w/ Partner"), and the sender does the same on the BNDACK. Tandem's FREE is the
 * address owner's available state (`ownerState`: FREE for the primary's addresses, BACKUP for
 * the secondary's share), the same function on both boxes, so an acknowledged address has the
 * same state on both. Other states are stored as received.
 */
export function stateAfterAcceptedBndupd(
  received: BindingState,
  ownerState: "free" | "backup",
): BindingState {
  return endsOnAck(received) ? ownerState : received;
}

/** A put that would make an illegal move, with why; undefined when the move is legal. */
export function illegalMove(
  held: BindingState | undefined,
  next: BindingState,
  actor: MoveActor,
): string | undefined {
  if (held === undefined || isLegalMove(held, next, actor)) return undefined;
  return `${held} -> ${next} is not a legal move for ${actor} (draft-12 ${
    actor === "partner" ? "Figure 7.1.3-1" : "Figure 5.11-1"
  })`;
}

export function isLegalMove(from: BindingState, to: BindingState, actor: MoveActor): boolean {
  if (from === to) return true;
  if (actor === "partner") {
    // What is stored after an accepted EXPIRED/RELEASED/RESET is FREE or BACKUP (§5.11 end),
    // and a RESET is accepted from every state (Figure 7.1.3-1).
    if (to === "free" || to === "backup") return true;
    return bndupdRule(from, to) !== "reject-less-critical";
  }
  // "DHCP client DECLINE or server detected problem from any state" -> ABANDONED;
  // "External command" -> RESET.
  if (to === "abandoned" || to === "reset") return true;
  return THIS_SERVER[from].includes(to);
}
