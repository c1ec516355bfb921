/**
 * What a partner's BNDUPD may put into the lease database (draft-12 §7.1.2: a server MAY refuse
 * a binding it cannot accept, with a reject reason in the BNDACK). A binding update goes
 * straight into the store of a box that serves a whole site, so each binding is checked as
 * untrusted input before §7.1.3 judges it against the binding held: the address, the times and
 * the client fields. Pure.
 */
import type { Config, SubnetConfig } from "../config/config.ts";
import { poolOf } from "../dhcp/allocate.ts";
import { broadcastOf, type Ipv4, parseIpv4 } from "../wire/ipv4.ts";
import type { BindingUpdate } from "./binding_codec.ts";
import { REJECT } from "./options.ts";

/**
 * Received times may be this far after our own now once corrected by the measured clock offset
 * (the offset has 1 s resolution and the message spent time in transit).
 */
export const TIME_TOLERANCE_SEC = 60;

/** RFC 2132 §9.14: option 61 is at most 255 octets; chaddr at most 16 (RFC 2131 §2). */
const MAX_CLIENT_ID = 255;
const MAX_HW_ADDR = 16;

export interface BindingProblem {
  readonly rejectReason: number;
  readonly message: string;
}

/**
 * undefined when the binding may be judged; else why not. ts() corrects a received time by the
 * clock offset (0 = absent).
 */
export function bindingProblem(
  b: BindingUpdate,
  subnet: SubnetConfig,
  config: Config,
  nowSec: number,
  ts: (x: number | undefined) => number,
): BindingProblem | undefined {
  const bad = (rejectReason: number, message: string) => ({ rejectReason, message });
  const ip = b.ip;
  if (ip === subnet.cidr.network || ip === broadcastOf(subnet.cidr)) {
    return bad(REJECT.illegalIpAddress, "network or broadcast address of its subnet");
  }
  const fo = config.failover;
  const own: (Ipv4 | undefined)[] = [
    config.serverId,
    fo === undefined ? undefined : parseIpv4(fo.myAddress),
    fo === undefined ? undefined : parseIpv4(fo.partnerAddress),
  ];
  if (own.includes(ip)) return bad(REJECT.illegalIpAddress, "a server's own address");
  if (poolOf(subnet, ip) === undefined && !subnet.reservations.some((r) => r.ip === ip)) {
    return bad(REJECT.illegalIpAddress, "address in no pool and no reservation");
  }
  // §7.1.5 times, on our clock: a start or last transaction in the future would win every
  // later §7.1.3 time comparison; a lease end past what either box could grant would keep the
  // address out of use for years.
  const latest = nowSec + TIME_TOLERANCE_SEC;
  if (ts(b.stateStartSec) > latest) {
    return bad(REJECT.unknownError, "start-time-of-state in the future");
  }
  if (ts(b.clttSec) > latest) {
    return bad(REJECT.unknownError, "client-last-transaction-time in the future");
  }
  const mcltSec = fo?.mcltSec ?? 0;
  const maxEnd = latest + subnet.leaseTimes.maxSec + mcltSec;
  if (ts(b.leaseEndSec) > maxEnd) {
    return bad(REJECT.unknownError, "lease-expiration-time beyond max lease + MCLT");
  }
  // potential-expiration-time runs up to the T1 part of the lease ahead of the lease end
  // (mclt.ts potentialEndToSendSec): at most one more max lease.
  if (ts(b.potentialEndSec) > maxEnd + subnet.leaseTimes.maxSec) {
    return bad(REJECT.unknownError, "potential-expiration-time beyond 2 max leases + MCLT");
  }
  if ((b.clientId?.length ?? 0) > MAX_CLIENT_ID) {
    return bad(REJECT.unknownError, `client-identifier over ${MAX_CLIENT_ID} octets`);
  }
  if ((b.hardware?.addr.length ?? 0) > MAX_HW_ADDR) {
    return bad(REJECT.unknownError, `hardware address over ${MAX_HW_ADDR} octets`);
  }
  if (b.status === "active" && (b.clientId?.length ?? 0) === 0 && b.hardware === undefined) {
    // §5.11: ACTIVE "Client identification MUST appear".
    return bad(REJECT.missingBindingInformation, "ACTIVE binding without a client");
  }
  // Text fields (host name, vendor class) are not a reason to refuse a binding: two boxes
  // disagreeing on who holds an address is worse than a lost name. judgeBinding keeps them
  // only when they pass lib/wire/text_fields.ts.
  return undefined;
}
