/**
 * The lease records the core writes: a binding on DHCPACK, a released record on DHCPRELEASE
 * (RFC 2131 §4.3.4), an abandoned one on DHCPDECLINE (§4.3.3). Failover bookkeeping fields of
 * an existing record are carried over untouched; failover owns them.
 */
import { emptyLease, type Lease } from "../lease/lease.ts";
import type { Ipv4 } from "../wire/ipv4.ts";
import { OPT } from "../wire/option_registry.ts";
import { toHex } from "../wire/bytes.ts";
import { hostNameOrEmpty, printableOrEmpty } from "../wire/text_fields.ts";
import type { DhcpRequest } from "./request.ts";

function text(b: Uint8Array | undefined): string {
  return b === undefined ? "" : new TextDecoder("utf-8", { fatal: false }).decode(b);
}

/** An existing record's failover fields, or the empty ones. */
function base(existing: Lease | undefined, ip: Ipv4, subnetId: number, nowSec: number): Lease {
  return existing ?? emptyLease(ip, subnetId, "free", nowSec);
}

/** The active binding a DHCPACK grants (RFC 2131 §4.3.2: "record the new lease"). */
export function boundLease(args: {
  readonly req: DhcpRequest;
  readonly ip: Ipv4;
  readonly subnetId: number;
  readonly endSec: number;
  readonly existing: Lease | undefined;
  readonly reservedHostname: string | undefined;
  readonly nowSec: number;
}): Lease {
  const { req, ip, existing, nowSec } = args;
  const o = req.packet.options;
  // A renewal keeps the binding's start; a new binding starts now.
  const renewing = existing !== undefined && existing.state === "active" &&
    existing.clientKey === req.clientKey && existing.endSec > nowSec;
  const relay = o.get(OPT.relayAgentInformation);
  return {
    ...base(existing, ip, args.subnetId, nowSec),
    ip,
    subnetId: args.subnetId,
    state: "active",
    clientKey: req.clientKey,
    hwType: req.htype,
    hwAddr: toHex(req.hwAddr),
    clientId: req.clientId === undefined ? "" : toHex(req.clientId),
    // Checked text only, so the store, logs, /status, the CLI and the partner never see
    // control characters or a name that is not one (lib/wire/text_fields.ts).
    hostname: o.has(OPT.hostName)
      ? hostNameOrEmpty(text(o.get(OPT.hostName)))
      : args.reservedHostname ?? "",
    vendorClass: printableOrEmpty(text(o.get(OPT.vendorClassIdentifier))),
    relayInfo: relay === undefined ? "" : toHex(relay),
    startSec: renewing ? existing.startSec : nowSec,
    endSec: args.endSec,
    clttSec: nowSec,
  };
}

/**
 * RFC 2131 §4.3.4: the released address goes back to the pool, but the record keeps the
 * client's identity so that the same client gets the same address back while it is free.
 */
export function releasedLease(existing: Lease, nowSec: number): Lease {
  return { ...existing, state: "released", startSec: nowSec, endSec: nowSec, clttSec: nowSec };
}

/**
 * RFC 2131 §4.3.3: a DECLINEd address is marked not available (in use by someone unknown) for
 * the probation period; the record no longer names any client.
 */
export function abandonedLease(
  existing: Lease | undefined,
  ip: Ipv4,
  subnetId: number,
  nowSec: number,
  probationSec: number,
): Lease {
  const b = base(existing, ip, subnetId, nowSec);
  return {
    ...emptyLease(ip, subnetId, "abandoned", nowSec),
    ackedPotentialEndSec: b.ackedPotentialEndSec,
    potentialEndSec: b.potentialEndSec,
    pendingUpdate: b.pendingUpdate,
    seq: b.seq,
    endSec: nowSec + probationSec,
    clttSec: nowSec,
  };
}
