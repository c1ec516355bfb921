/**
 * Leases <-> binding updates (draft-12 §7.1), pure. Everything a binding carries is replicated
 * (client id, hardware address, hostname, vendor class, relay agent information, times), so the
 * partner can serve the client identically.
 */
import type { Lease } from "../lease/lease.ts";
import type { LeaseOp } from "../lease/ops.ts";
import type { LeaseView } from "../lease/store.ts";
import type { ServingScope } from "../dhcp/scope.ts";
import { potentialEndToSendSec } from "./mclt.ts";
import { emptyLease } from "../lease/lease.ts";
import { bndupdRule, stateAfterAcceptedBndupd } from "../lease/transitions.ts";
import { ownerStateOf } from "./serving.ts";
import type { Config } from "../config/config.ts";
import { cidrContains } from "../wire/ipv4.ts";
import { fromHex, toHex } from "../wire/bytes.ts";
import { clientKeyOf } from "../wire/client_key.ts";
import type { BindingUpdate } from "./binding_codec.ts";
import { REJECT } from "./options.ts";
import { bindingProblem } from "./binding_checks.ts";
import { hostNameOrEmpty, printableOrEmpty } from "../wire/text_fields.ts";
import type { FailoverRole } from "./snapshot.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** The binding update for a stored lease; times are on this server's clock (§6.1 time). */
export function bindingFromLease(l: Lease): BindingUpdate {
  const active = l.state === "active";
  return {
    ip: l.ip,
    status: l.state,
    ...(l.clientId !== "" ? { clientId: fromHex(l.clientId) ?? new Uint8Array() } : {}),
    ...(l.hwAddr !== ""
      ? { hardware: { htype: l.hwType, addr: fromHex(l.hwAddr) ?? new Uint8Array() } }
      : {}),
    ...(l.clttSec > 0 ? { clttSec: l.clttSec } : {}),
    // Table 7.1-1: lease-expiration-time and potential-expiration-time only for ACTIVE.
    ...(active
      ? { leaseEndSec: l.endSec, potentialEndSec: Math.max(l.potentialEndSec, l.endSec) }
      : {}),
    stateStartSec: l.startSec,
    ...(l.hostname !== "" ? { hostname: l.hostname } : {}),
    ...(l.vendorClass !== "" ? { vendorClass: l.vendorClass } : {}),
    ...(l.relayInfo !== "" ? { relayAgentInfo: fromHex(l.relayInfo) ?? new Uint8Array() } : {}),
  };
}

/** The clientKey rule of lib/wire/client_key.ts, from replicated fields. */
function keyOf(b: BindingUpdate): string {
  if ((b.clientId?.length ?? 0) === 0 && b.hardware === undefined) return "";
  return clientKeyOf(b.clientId, b.hardware?.htype ?? 0, b.hardware?.addr ?? new Uint8Array());
}

export type Verdict =
  | { readonly accept: true; readonly lease: Lease }
  | { readonly accept: false; readonly rejectReason: number; readonly message: string };

/**
 * §7.1.3 (Figure 7.1.3-1): whether to accept a received binding, and the record to store.
 * skewSec = partner clock - my clock (§7.8.2 step 6): received times are corrected by it.
 */
export function judgeBinding(
  b: BindingUpdate,
  held: Lease | undefined,
  config: Config,
  role: FailoverRole,
  nowSec: number,
  skewSec: number,
): Verdict {
  const subnet = config.subnets.find((s) => cidrContains(s.cidr, b.ip));
  const t = (x: number | undefined) => x === undefined || x === 0 ? 0 : x - skewSec;
  if (subnet === undefined) {
    return {
      accept: false,
      rejectReason: REJECT.illegalIpAddress,
      message: "address in no subnet",
    };
  }
  const problem = bindingProblem(b, subnet, config, nowSec, t);
  if (problem !== undefined) return { accept: false, ...problem };
  const subnetId = subnet.id;
  const key = keyOf(b);
  if (held !== undefined) {
    const rule = bndupdRule(held.state, b.status);
    const cltt = t(b.clttSec);
    let ok = true;
    let reason: number = REJECT.outdatedBindingInformation;
    switch (rule) {
      case "accept":
        break;
      case "accept-same-client":
        // Note (5): a different client is accepted only by the secondary: the primary's
        // binding wins a conflict (§7.1.3). A binding that has already ended is no conflict:
        // it never replaces a live one of another client (a stale record sent again after a
        // restart or an UPDREQALL would otherwise erase a lease this box gave meanwhile).
        ok = held.clientKey === key ||
          (role === "secondary" && !(t(b.leaseEndSec) <= nowSec && held.endSec > nowSec));
        reason = held.clientKey === key || t(b.leaseEndSec) > nowSec
          ? REJECT.fatalConflict
          : REJECT.outdatedBindingInformation;
        break;
      case "time-cltt":
        ok = cltt >= held.clttSec;
        break;
      case "time-expiry":
        ok = held.endSec <= nowSec || cltt >= held.clttSec;
        break;
      case "time-start":
        ok = t(b.stateStartSec) >= held.startSec;
        break;
      case "reject-less-critical":
        ok = false;
        reason = REJECT.lessCriticalBindingInformation;
        break;
    }
    if (!ok) return { accept: false, rejectReason: reason, message: `rule ${rule}` };
  }
  const fo = config.failover;
  const owner = fo === undefined ? "free" : ownerStateOf(b.ip, subnetId, config.subnets, fo);
  const state = stateAfterAcceptedBndupd(b.status, owner);
  const base = held ?? emptyLease(b.ip, subnetId, state, nowSec);
  const potential = t(b.potentialEndSec);
  const lease: Lease = {
    ...base,
    subnetId,
    state,
    // An available address keeps its last client when the update names one (§5.11: client
    // identification SHOULD appear), so that client can have it back (RFC 2131 §4.3.1). ISC
    // dhcpd sends an ended lease as FREE with its chaddr (and without the client-uid), so a
    // FREE binding counts as well as EXPIRED/RELEASED.
    clientKey: key,
    hwType: b.hardware?.htype ?? 0,
    hwAddr: b.hardware === undefined ? "" : toHex(b.hardware.addr),
    clientId: b.clientId === undefined ? "" : toHex(b.clientId),
    hostname: hostNameOrEmpty(b.hostname ?? ""),
    vendorClass: printableOrEmpty(b.vendorClass ?? ""),
    relayInfo: b.relayAgentInfo === undefined ? "" : toHex(b.relayAgentInfo),
    startSec: t(b.stateStartSec) || nowSec,
    endSec: t(b.leaseEndSec),
    clttSec: t(b.clttSec),
    // §7.1.5: keep max(acked, received potential expiration) (see mclt.ts storage note).
    ackedPotentialEndSec: Math.max(held?.ackedPotentialEndSec ?? 0, potential),
    potentialEndSec: held?.potentialEndSec ?? 0,
    pendingUpdate: false,
  };
  return { accept: true, lease };
}

export function encodeText(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export function decodeText(b: Uint8Array): string {
  return textDecoder.decode(b);
}

/**
 * Before the DHCP core's ops are committed on a failover box: every changed record is marked
 * pendingUpdate (so a restart knows what the partner has not acknowledged, §8.4) and an
 * ACTIVE one gets the potential-expiration-time its BNDUPD will carry (§7.1.5). A delete
 * becomes a put of the address's default state (FREE or BACKUP), so the partner learns of it.
 */
export function markForPartner(
  ops: readonly LeaseOp[],
  view: LeaseView,
  scope: ServingScope,
  config: Config,
  nowSec: number,
): LeaseOp[] {
  return ops.map((op): LeaseOp => {
    if (op.kind === "put") {
      const l = op.lease;
      const desired = config.subnets.find((s) => s.id === l.subnetId)?.leaseTimes.defaultSec ??
        config.leaseTimes.defaultSec;
      const potentialEndSec = l.state === "active"
        ? potentialEndToSendSec(nowSec, l.endSec, desired)
        : l.potentialEndSec;
      return { kind: "put", lease: { ...l, pendingUpdate: true, potentialEndSec } };
    }
    if (op.kind === "delete") {
      const held = view.get(op.ip);
      if (held === undefined) return op;
      // ABANDONED leaves only through RESET (Figure 5.11-1 note 3), which the partner acks
      // like EXPIRED; anything else goes back to its owner's state.
      const state = held.state === "abandoned" ? "reset" : scope.defaultState(op.ip, held.subnetId);
      return {
        kind: "put",
        lease: { ...emptyLease(op.ip, held.subnetId, state, nowSec), pendingUpdate: true },
      };
    }
    return op;
  });
}
