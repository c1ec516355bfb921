/**
 * handle(packet, ctx) -> Decision: the DHCP server's rules (RFC 2131 §4.3), one small function
 * per message type. Pure: the runtime persists the returned ops before it sends the reply.
 */
import type { SubnetConfig } from "../config/config.ts";
import { isBound, type Lease } from "../lease/lease.ts";
import type { LeaseOp } from "../lease/ops.ts";
import { cidrContains, type Ipv4 } from "../wire/ipv4.ts";
import type { DhcpPacket } from "../wire/dhcp_message.ts";
import { acceptPacket, scopeFilter, serverIdFilter } from "./accept.ts";
import { addressVerdict, allocate, poolOf, reservationFor } from "./allocate.ts";
import { abandonedLease, boundLease, releasedLease } from "./binding.ts";
import type { Decision, DropReason } from "./decision.ts";
import { destinationFor } from "./destination.ts";
import type { HandleContext } from "./handle_context.ts";
import { buildNak, buildOfferOrAck, type BuiltReply, leaseGrant } from "./reply.ts";
import { classify, type DhcpRequest } from "./request.ts";
import { selectSubnet, subnetContaining } from "./subnet.ts";

export function handle(packet: DhcpPacket, ctx: HandleContext): Decision {
  const rejected = acceptPacket(packet);
  if (rejected !== undefined) return drop(rejected);
  const classified = classify(packet);
  if (!classified.ok) return drop(classified.reason);
  const req = classified.request;
  switch (req.type) {
    case "DISCOVER":
      return onDiscover(req, ctx);
    case "REQUEST":
      return onRequest(req, ctx);
    case "DECLINE":
      return onDecline(req, ctx);
    case "RELEASE":
      return onRelease(req, ctx);
    case "INFORM":
      return onInform(req, ctx);
    default:
      return drop("unknown-message-type"); // OFFER/ACK/NAK: filtered by acceptPacket already
  }
}

function drop(reason: DropReason): Decision {
  return { kind: "drop", reason };
}

function reply(
  req: DhcpRequest,
  built: BuiltReply,
  ops: readonly LeaseOp[],
  poolCursor?: { subnetId: number; offset: number },
): Decision {
  return {
    kind: "reply",
    ...(poolCursor === undefined ? {} : { poolCursor }),
    reply: built.packet,
    replyType: built.replyType,
    to: destinationFor(req.packet, built.replyType, built.packet),
    ops,
    parameterOrder: built.parameterOrder,
    maxMessageSize: built.maxMessageSize,
  };
}

/** RFC 2131 §4.3.1: choose an address, hold it for the client, and offer it. */
function onDiscover(req: DhcpRequest, ctx: HandleContext): Decision {
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const choice = selectSubnet(req, ctx.config);
  if (choice === undefined) return drop("no-subnet");
  const a = allocate(req, choice.subnet, req.requestedIp, ctx);
  if (a === undefined) {
    return { kind: "drop", reason: "no-free-address", poolFull: choice.subnet.id };
  }
  const grant = leaseGrant(req, choice.subnet, a.existing, ctx);
  const built = buildOfferOrAck(req, ctx, {
    type: "OFFER",
    subnet: choice.subnet,
    ip: a.ip,
    grant,
    pool: a.pool,
    reservation: a.reservation,
  });
  // RFC 2131 §4.4.1: the offered address is reserved for the client until the hold ends, so a
  // concurrent DISCOVER from another client is offered a different one.
  const hold: LeaseOp = {
    kind: "hold",
    ip: a.ip,
    clientKey: req.clientKey,
    untilSec: ctx.nowSec + ctx.config.offerHoldSec,
  };
  const cursor = a.nextScan === undefined
    ? undefined
    : { subnetId: choice.subnet.id, offset: a.nextScan };
  return reply(req, built, [hold], cursor);
}

function onRequest(req: DhcpRequest, ctx: HandleContext): Decision {
  switch (req.state) {
    case "SELECTING":
      return onSelecting(req, ctx);
    case "INIT-REBOOT":
      return onInitReboot(req, ctx);
    default:
      return onRenewing(req, ctx);
  }
}

/**
 * RFC 2131 §4.3.2 SELECTING: option 54 says which server the client chose. Another server's
 * id means our offer was declined, so our hold is dropped and nothing is sent.
 */
function onSelecting(req: DhcpRequest, ctx: HandleContext): Decision {
  if (serverIdFilter(req, ctx.config.serverId) !== undefined) return notForUs(req, ctx);
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const choice = selectSubnet(req, ctx.config);
  if (choice === undefined) return drop("no-subnet");
  const ip = req.requestedIp as Ipv4; // classify: SELECTING has option 50
  // §4.3.2: "the server ... commits the binding", unless the address went to someone else
  // meanwhile, in which case the server must NAK.
  if (!addressVerdict(ip, req, choice.subnet, ctx).ok) {
    return reply(req, buildNak(req, ctx, "requested address is not available"), []);
  }
  return ack(req, ip, choice.subnet, ctx);
}

function notForUs(req: DhcpRequest, ctx: HandleContext): Decision {
  const ops: LeaseOp[] = [];
  const unhold = (ip: Ipv4 | undefined): void => {
    if (ip === undefined || ops.some((o) => o.kind === "unhold" && o.ip === ip)) return;
    if (ctx.leases.hold(ip)?.clientKey === req.clientKey) ops.push({ kind: "unhold", ip });
  };
  unhold(req.requestedIp);
  // Our offer to the client, which chose another server's.
  unhold(ctx.leases.heldFor(req.clientKey));
  return ops.length === 0 ? drop("not-for-us") : { kind: "no-reply", ops, reason: "not-for-us" };
}

/**
 * RFC 2131 §4.3.2 INIT-REBOOT: "the server SHOULD send a DHCPNAK ... if the requested IP
 * address is incorrect, or is on the wrong network", and "if the DHCP server has no record of
 * this client, then it MUST remain silent". A non-authoritative server treats a client it has
 * no record of as unknown; an authoritative one knows it owns the link.
 */
function onInitReboot(req: DhcpRequest, ctx: HandleContext): Decision {
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const choice = selectSubnet(req, ctx.config);
  if (choice === undefined) return drop("no-subnet");
  const known = ctx.leases.byClient(req.clientKey).length > 0;
  if (!ctx.config.authoritative && !known) return drop("no-binding");
  const ip = req.requestedIp as Ipv4; // classify: INIT-REBOOT has option 50
  if (!cidrContains(choice.subnet.cidr, ip)) {
    return reply(req, buildNak(req, ctx, "wrong network"), []);
  }
  const rec = ctx.leases.get(ip);
  const own = rec !== undefined && rec.clientKey === req.clientKey;
  if (own && addressVerdict(ip, req, choice.subnet, ctx).ok) {
    return ack(req, ip, choice.subnet, ctx);
  }
  return reply(req, buildNak(req, ctx, "requested address is not this client's"), []);
}

/**
 * RFC 2131 §4.3.2 RENEWING / REBINDING (ciaddr set): extend the client's binding. An address
 * bound to another client is NAKed; an unknown one only by an authoritative server.
 */
function onRenewing(req: DhcpRequest, ctx: HandleContext): Decision {
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  // A renewal normally carries no option 54; if it does, it must be ours.
  if (serverIdFilter(req, ctx.config.serverId) !== undefined) return drop("not-for-us");
  const choice = selectSubnet(req, ctx.config);
  if (choice === undefined) return drop("no-subnet");
  const ip = req.packet.ciaddr;
  const rec = ctx.leases.get(ip);
  const own = rec !== undefined && rec.clientKey === req.clientKey;
  const nak = (why: string) => reply(req, buildNak(req, ctx, why), []);
  if (rec !== undefined && !own && isBound(rec, ctx.nowSec)) return nak("address in use");
  if (!own && !ctx.config.authoritative) return drop("no-binding");
  // §4.3.2 REBINDING: "the server SHOULD check that the address is correct for the network".
  if (!cidrContains(choice.subnet.cidr, ip)) return nak("wrong network");
  if (!addressVerdict(ip, req, choice.subnet, ctx).ok) return nak("address not available");
  return ack(req, ip, choice.subnet, ctx);
}

/**
 * DHCPACK for a REQUEST: writes the binding, drops the offer hold, and releases any other live
 * binding of this client in the subnet (one client, one address per link).
 */
function ack(req: DhcpRequest, ip: Ipv4, subnet: SubnetConfig, ctx: HandleContext): Decision {
  const existing = ctx.leases.get(ip);
  const grant = leaseGrant(req, subnet, existing, ctx);
  const reservation = reservationFor(subnet, req);
  const lease = boundLease({
    req,
    ip,
    subnetId: subnet.id,
    endSec: grant.endSec,
    existing,
    reservedHostname: reservation?.ip === ip ? reservation.hostname : undefined,
    nowSec: ctx.nowSec,
  });
  const ops: LeaseOp[] = [{ kind: "put", lease }];
  if (ctx.leases.hold(ip) !== undefined) ops.push({ kind: "unhold", ip });
  for (const other of ctx.leases.byClient(req.clientKey)) {
    if (other.ip !== ip && other.subnetId === subnet.id && isBound(other, ctx.nowSec)) {
      ops.push({ kind: "put", lease: releasedLease(other, ctx.nowSec) });
    }
  }
  const built = buildOfferOrAck(req, ctx, {
    type: "ACK",
    subnet,
    ip,
    grant,
    pool: poolOf(subnet, ip),
    reservation: reservation?.ip === ip ? reservation : undefined,
  });
  return reply(req, built, ops);
}

/** Whether the request's client owns the record (or holds an offer of the address). */
function ownedBy(req: DhcpRequest, ip: Ipv4, rec: Lease | undefined, ctx: HandleContext): boolean {
  if (rec !== undefined && rec.clientKey !== "") return rec.clientKey === req.clientKey;
  const hold = ctx.leases.hold(ip);
  return hold !== undefined && hold.clientKey === req.clientKey;
}

/**
 * RFC 2131 §4.3.3: the client found the address in use; "the server MUST mark the network
 * address as not available", here "abandoned" for the decline probation period.
 */
function onDecline(req: DhcpRequest, ctx: HandleContext): Decision {
  const notOurs = serverIdFilter(req, ctx.config.serverId);
  if (notOurs !== undefined) return drop(notOurs);
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const ip = req.requestedIp;
  if (ip === undefined) return drop("bad-request"); // RFC 2131 table 5: option 50 MUST
  const rec = ctx.leases.get(ip);
  // Only the client the address was given to may take it out of use (no forged DECLINEs).
  if (!ownedBy(req, ip, rec, ctx)) return drop("no-binding");
  const subnetId = rec?.subnetId ?? subnetContaining(ctx.config, ip)?.id;
  if (subnetId === undefined) return drop("no-subnet");
  const probation = ctx.config.declineProbationSec;
  const ops: LeaseOp[] = [
    { kind: "put", lease: abandonedLease(rec, ip, subnetId, ctx.nowSec, probation) },
  ];
  if (ctx.leases.hold(ip) !== undefined) ops.push({ kind: "unhold", ip });
  return { kind: "no-reply", ops };
}

/**
 * RFC 2131 §4.3.4: "the server marks the network address as not allocated"; the record keeps
 * the client's identity so the client can get the same address back.
 */
function onRelease(req: DhcpRequest, ctx: HandleContext): Decision {
  const notOurs = serverIdFilter(req, ctx.config.serverId);
  if (notOurs !== undefined) return drop(notOurs);
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const ip = req.packet.ciaddr;
  if (ip === 0) return drop("bad-request"); // RFC 2131 table 5: ciaddr MUST be set
  const rec = ctx.leases.get(ip);
  if (rec === undefined || rec.clientKey !== req.clientKey || rec.state !== "active") {
    return drop("no-binding");
  }
  return { kind: "no-reply", ops: [{ kind: "put", lease: releasedLease(rec, ctx.nowSec) }] };
}

/**
 * RFC 2131 §4.3.5: configuration only. "The server ... SHOULD NOT check for an existing lease";
 * the ACK has no lease time and yiaddr 0, and goes to ciaddr (or via the relay).
 */
function onInform(req: DhcpRequest, ctx: HandleContext): Decision {
  const refused = scopeFilter(req, ctx.scope);
  if (refused !== undefined) return drop(refused);
  const choice = selectSubnet(req, ctx.config);
  if (choice === undefined) return drop("no-subnet");
  const ciaddr = req.packet.ciaddr;
  const reservation = reservationFor(choice.subnet, req);
  const built = buildOfferOrAck(req, ctx, {
    type: "ACK",
    subnet: choice.subnet,
    ip: undefined,
    grant: undefined,
    pool: ciaddr === 0 ? undefined : poolOf(choice.subnet, ciaddr),
    reservation: reservation !== undefined && reservation.ip === ciaddr ? reservation : undefined,
  });
  return reply(req, built, []);
}
