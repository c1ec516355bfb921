/**
 * The CONNECT / CONNECTACK exchange (draft-12 §7.8, §7.9) as pure functions: the messages
 * Tandem sends and the checks a secondary makes before accepting. The scope-config
 * fingerprint rides in vendor-specific-options (§12.29) of CONNECT, CONNECTACK and STATE.
 */
import type { FailoverConfig } from "../config/config.ts";
import { VERSION } from "../version.ts";
import type { Outgoing } from "./binding_sync.ts";
import { decodeText, encodeText } from "./lease_sync.ts";
import type { FailoverMessage, VendorOptions } from "./messages.ts";
import { PROTOCOL_VERSION, REJECT } from "./options.ts";
import { hbaFromSplit } from "./hash.ts";

/** Vendor-specific sub-options: the scope-config fingerprint, this box's server id and role. */
const VENDOR_FINGERPRINT = 1;
const VENDOR_SERVER_ID = 2;
const VENDOR_ROLE = 3;

/** Who the partner says it is (Tandem partners only; a legacy partner sends none). */
export interface PartnerIdentity {
  readonly fingerprint?: string;
  readonly serverId?: string;
  readonly role?: string;
}

/** The vendor options of CONNECT, CONNECTACK and STATE. */
export function identityOption(
  fingerprint: string,
  serverId: string,
  role: string,
): Map<number, Uint8Array> {
  return new Map([
    [VENDOR_FINGERPRINT, encodeText(fingerprint)],
    [VENDOR_SERVER_ID, encodeText(serverId)],
    [VENDOR_ROLE, encodeText(role)],
  ]);
}

export function identityIn(v: VendorOptions | undefined): PartnerIdentity {
  const text = (k: number) => {
    const b = v?.get(k);
    return b === undefined ? undefined : decodeText(b).slice(0, 64);
  };
  const fingerprint = text(VENDOR_FINGERPRINT), serverId = text(VENDOR_SERVER_ID);
  const role = text(VENDOR_ROLE);
  return {
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(serverId === undefined ? {} : { serverId }),
    ...(role === undefined ? {} : { role }),
  };
}

/**
 * What makes two boxes an unsafe pair, in words with the fix, or undefined: two primaries both
 * allocate from FREE; two secondaries both from BACKUP; one server id on both makes clients
 * unable to tell the servers apart (RFC 2131 §4.3.1 option 54).
 */
export function pairProblem(
  mine: { readonly fingerprint: string; readonly serverId: string; readonly role: string },
  partner: PartnerIdentity,
  partnerAddress: string,
): string | undefined {
  if (partner.role !== undefined && partner.role === mine.role) {
    return `the partner ${partnerAddress} is also configured as ${mine.role}: set role = ` +
      `"${mine.role === "primary" ? "secondary" : "primary"}" on one of the two boxes`;
  }
  if (partner.serverId !== undefined && partner.serverId === mine.serverId) {
    return `the partner ${partnerAddress} uses the same server_id ${mine.serverId}: give each ` +
      "box its own server_id (its own address)";
  }
  // Different scopes are no refusal: the pair syncs them (peer.ts #offerScopes, issue #12
  // item 2), serving no new client until they match (failover_boot.ts).
  return undefined;
}

const receiveTimerSec = (fo: FailoverConfig) => Math.max(1, Math.ceil(fo.receiveTimerMs / 1000));

export function fingerprintOption(fingerprint: string): Map<number, Uint8Array> {
  return new Map([[VENDOR_FINGERPRINT, encodeText(fingerprint)]]);
}

export function fingerprintIn(v: VendorOptions | undefined): string | undefined {
  const fp = v?.get(VENDOR_FINGERPRINT);
  return fp === undefined ? undefined : decodeText(fp);
}

/** §7.8.1: what the primary sends on a new connection. */
export function connectMessage(
  fo: FailoverConfig,
  identity: Map<number, Uint8Array>,
  /** §7.8.1: 2 = TLS required, 0 = none; undefined inside an established TLS link. */
  tlsRequest: number | undefined,
): Outgoing {
  return {
    ...(tlsRequest === undefined ? {} : { tlsRequest }),
    kind: "connect",
    relationshipName: fo.relationshipName,
    maxUnackedBndupd: fo.maxUnackedBndupd,
    receiveTimerSec: receiveTimerSec(fo),
    vendorClass: `tandem-${VERSION}`,
    protocolVersion: PROTOCOL_VERSION,
    mcltSec: fo.mcltSec,
    // §7.8.1: the primary MUST send the HBA. Bit meaning as ISC dhcpd (isc-notes §3.4): a set
    // bit is a bucket the primary serves; hot-standby gives the primary all 256.
    hba: primaryHba(fo),
    vendorOptions: identity,
  };
}

/** The HBA of this pair's config, ISC bit meaning (a set bit: the primary serves). */
export function primaryHba(fo: FailoverConfig): Uint8Array {
  return hbaFromSplit(fo.mode === "hot-standby" ? 256 : fo.split);
}

/**
 * §7.8.2: the secondary's verdict on a CONNECT. skewSec is the partner's clock minus ours,
 * which every later time value is corrected by (step 6).
 */
export function checkConnect(
  m: Extract<FailoverMessage, { kind: "connect" }>,
  fo: FailoverConfig,
  nowSec: number,
): { readonly reject?: number; readonly skewSec: number } {
  const skewSec = m.timeSec - nowSec;
  if (m.relationshipName !== fo.relationshipName) {
    return { reject: REJECT.invalidPartner, skewSec };
  }
  if (Math.abs(skewSec) > fo.maxClockSkewSec) return { reject: REJECT.clockSkew, skewSec };
  if (m.protocolVersion !== PROTOCOL_VERSION) return { reject: REJECT.versionMismatch, skewSec };
  return { skewSec };
}

/**
 * §7.8.2 step 3: the TLS-reply to a CONNECT's TLS-request, and the refusal if the two cannot
 * agree (the table under step 3). wantTls: this box has [failover.tls], which makes TLS
 * required. undefined: inside an established TLS link (no TLS-request, no TLS-reply).
 */
export function tlsVerdict(
  tlsRequest: number | undefined,
  wantTls: boolean,
  secured: boolean,
): { readonly tlsReply?: number; readonly reject?: number; readonly problem?: string } {
  if (secured) return {};
  const req = tlsRequest ?? 0;
  if (wantTls && req === 0) {
    return {
      tlsReply: 1,
      reject: REJECT.tlsRequired,
      problem: "this box requires TLS on the failover link and the partner does not offer it: " +
        "configure [failover.tls] on both boxes, or on neither",
    };
  }
  if (!wantTls && req === 2) {
    return {
      tlsReply: 0,
      reject: REJECT.tlsNotConfigured,
      problem: "the partner requires TLS on the failover link and this box has no " +
        "[failover.tls]: configure it on both boxes, or on neither",
    };
  }
  return { tlsReply: wantTls ? 1 : 0 };
}

/** §7.9.1: CONNECTACK accepting (reject undefined) or refusing a CONNECT. */
export function connectAck(
  fo: FailoverConfig,
  xid: number,
  identity: Map<number, Uint8Array>,
  reject?: number,
  message?: string,
  tlsReply?: number,
): Outgoing {
  const base = {
    kind: "connectack" as const,
    xid,
    relationshipName: fo.relationshipName,
    protocolVersion: PROTOCOL_VERSION,
    ...(tlsReply === undefined ? {} : { tlsReply }),
  };
  if (reject !== undefined) {
    // The identity goes with a refusal too, so the other box can say what is wrong.
    return {
      ...base,
      rejectReason: reject,
      vendorOptions: identity,
      ...(message === undefined ? {} : { message }),
    };
  }
  return {
    ...base,
    maxUnackedBndupd: fo.maxUnackedBndupd,
    receiveTimerSec: receiveTimerSec(fo),
    vendorClass: `tandem-${VERSION}`,
    vendorOptions: identity,
  };
}
