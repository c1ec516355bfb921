/**
 * The operator's lease commands (issue #12 item 6; Kea's lease4-add/-del and leases-reclaim):
 * each turned into LeaseOps under the same rules as a client's packet, so the runtime commits
 * them like a packet's and tells the partner (failover replicates them as BNDUPDs). Pure.
 *
 *   add      an ACTIVE lease for a client (MAC and/or client id) on an address this box may
 *            give that client now (allocate.ts addressVerdict: pools, reservations, holds, and
 *            on a pair the failover scope), for the subnet's lease time unless one is given,
 *            capped by MCLT where failover requires it (draft-12 §5.2.1).
 *   delete   the lease on an address ends now. Standalone: the record goes. On a pair: RESET
 *            ("External command", draft-12 Figure 5.11-1), which the partner acknowledges
 *            before the address is used again (§5.11), like an expiry.
 *   reclaim  an address held out of use (ABANDONED after a DECLINE, or an ended lease the sweep
 *            has not returned yet) goes back to its pool now: standalone by deleting the record,
 *            on a pair through RESET. Without an address: the expiry sweep, now.
 */
import type { SubnetConfig } from "../config/config.ts";
import { emptyLease, type Lease } from "../lease/lease.ts";
import type { LeaseOp } from "../lease/ops.ts";
import { cidrContains, formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import { clientKeyOf } from "../wire/client_key.ts";
import { fromHex, toHex } from "../wire/bytes.ts";
import { hostNameOrEmpty } from "../wire/text_fields.ts";
import { addressVerdict } from "./allocate.ts";
import { plainHex } from "../lease/find.ts";
import type { HandleContext } from "./handle_context.ts";
import { reclaimExpired } from "./reclaim.ts";

export type LeaseCommand =
  | {
    readonly kind: "add";
    readonly ip: Ipv4;
    /** Hex, with or without ":" separators. */
    readonly hwAddr?: string;
    readonly clientId?: string;
    readonly hostname?: string;
    readonly leaseSec?: number;
  }
  | { readonly kind: "delete"; readonly ip: Ipv4 }
  | { readonly kind: "reclaim"; readonly ip?: Ipv4 };

export type LeasePlan =
  | { readonly ok: true; readonly ops: readonly LeaseOp[]; readonly message: string }
  | { readonly ok: false; readonly message: string };

const refuse = (message: string): LeasePlan => ({ ok: false, message });

function hexOf(text: string | undefined): Uint8Array | undefined | null {
  if (text === undefined || text === "") return undefined;
  const b = fromHex(plainHex(text));
  return b === undefined || b.length === 0 || b.length > 255 ? null : b;
}

export function planLeaseCommand(cmd: LeaseCommand, ctx: HandleContext): LeasePlan {
  const pair = ctx.config.failover !== undefined;
  if (cmd.kind === "reclaim" && cmd.ip === undefined) {
    const ops = reclaimExpired(ctx.leases, ctx.nowSec, 100_000);
    return { ok: true, ops, message: `${ops.length} ended lease(s) reclaimed now` };
  }
  const ip = cmd.ip!;
  const subnet = ctx.config.subnets.find((s) => cidrContains(s.cidr, ip));
  if (subnet === undefined) return refuse(`${formatIpv4(ip)} is in no configured subnet`);
  const held = ctx.leases.get(ip);
  switch (cmd.kind) {
    case "add":
      return planAdd(cmd, ip, subnet, held, ctx);
    case "delete": {
      if (held === undefined || held.state !== "active") {
        return refuse(`${formatIpv4(ip)} has no lease (${held?.state ?? "no record"})`);
      }
      return ended(held, pair, ctx.nowSec, `the lease of ${formatIpv4(ip)} deleted`);
    }
    case "reclaim": {
      const out = ["abandoned", "expired", "released"];
      const state = held?.state === "active" && held.endSec <= ctx.nowSec ? "expired" : held?.state;
      if (held === undefined || state === undefined || !out.includes(state)) {
        return refuse(
          `${formatIpv4(ip)} is not held out of use (${held?.state ?? "no record"}): reclaim ` +
            "takes an ABANDONED address or an ended lease; `delete` ends a live one",
        );
      }
      return ended(held, pair, ctx.nowSec, `${formatIpv4(ip)} (${state}) back to its pool`);
    }
  }
}

/** The address leaves its lease now: the record goes (standalone) or becomes RESET (a pair). */
function ended(held: Lease, pair: boolean, nowSec: number, what: string): LeasePlan {
  if (!pair) return { ok: true, ops: [{ kind: "delete", ip: held.ip }], message: what };
  return {
    ok: true,
    ops: [{
      kind: "put",
      lease: { ...held, state: "reset", startSec: nowSec, endSec: nowSec, clttSec: nowSec },
    }],
    message: `${what}: RESET, told to the partner (the address is used again once it acks)`,
  };
}

function planAdd(
  cmd: Extract<LeaseCommand, { kind: "add" }>,
  ip: Ipv4,
  subnet: SubnetConfig,
  held: Lease | undefined,
  ctx: HandleContext,
): LeasePlan {
  const hw = hexOf(cmd.hwAddr);
  const clientId = hexOf(cmd.clientId);
  if (hw === null || (hw !== undefined && hw.length > 16)) {
    return refuse(`hardware address "${cmd.hwAddr}" is not 1-16 bytes of hex`);
  }
  if (clientId === null) return refuse(`client id "${cmd.clientId}" is not hex`);
  if (hw === undefined && clientId === undefined) {
    return refuse("a lease needs a client: give its MAC (--mac) or client id (--client-id)");
  }
  const client = {
    clientKey: clientKeyOf(clientId, 1, hw ?? new Uint8Array()),
    htype: 1,
    hwAddr: hw ?? new Uint8Array(),
    clientId,
  };
  const v = addressVerdict(ip, client, subnet, ctx);
  if (!v.ok) {
    return refuse(`${formatIpv4(ip)} cannot be leased to this client now: ${v.refusal}`);
  }
  const times = subnet.leaseTimes;
  const want = Math.min(times.maxSec, Math.max(times.minSec, cmd.leaseSec ?? times.defaultSec));
  const endSec = ctx.scope.capLeaseEnd(held, ctx.nowSec + want, ctx.nowSec);
  const base = held ?? emptyLease(ip, subnet.id, "free", ctx.nowSec);
  const lease: Lease = {
    ...base,
    ip,
    subnetId: subnet.id,
    state: "active",
    clientKey: client.clientKey,
    hwType: hw === undefined ? 0 : 1,
    hwAddr: hw === undefined ? "" : toHex(hw),
    clientId: clientId === undefined ? "" : toHex(clientId),
    hostname: hostNameOrEmpty(cmd.hostname ?? ""),
    startSec: ctx.nowSec,
    endSec,
    clttSec: ctx.nowSec,
  };
  return {
    ok: true,
    ops: [{ kind: "put", lease }],
    message: `${formatIpv4(ip)} leased for ${endSec - ctx.nowSec} s (end ${endSec}, epoch s)` +
      (endSec < ctx.nowSec + want ? " (capped by MCLT until the partner acknowledges)" : ""),
  };
}
