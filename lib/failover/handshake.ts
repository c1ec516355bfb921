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

/** Vendor-specific sub-option carrying the scope-config fingerprint. */
const VENDOR_FINGERPRINT = 1;

const receiveTimerSec = (fo: FailoverConfig) => Math.max(1, Math.ceil(fo.receiveTimerMs / 1000));

export function fingerprintOption(fingerprint: string): Map<number, Uint8Array> {
  return new Map([[VENDOR_FINGERPRINT, encodeText(fingerprint)]]);
}

export function fingerprintIn(v: VendorOptions | undefined): string | undefined {
  const fp = v?.get(VENDOR_FINGERPRINT);
  return fp === undefined ? undefined : decodeText(fp);
}

/** §7.8.1: what the primary sends on a new connection. */
export function connectMessage(fo: FailoverConfig, fingerprint: string): Outgoing {
  return {
    kind: "connect",
    relationshipName: fo.relationshipName,
    maxUnackedBndupd: fo.maxUnackedBndupd,
    receiveTimerSec: receiveTimerSec(fo),
    vendorClass: `tandem-${VERSION}`,
    protocolVersion: PROTOCOL_VERSION,
    mcltSec: fo.mcltSec,
    vendorOptions: fingerprintOption(fingerprint),
  };
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

/** §7.9.1: CONNECTACK accepting (reject undefined) or refusing a CONNECT. */
export function connectAck(
  fo: FailoverConfig,
  xid: number,
  fingerprint: string,
  reject?: number,
): Outgoing {
  const base = {
    kind: "connectack" as const,
    xid,
    relationshipName: fo.relationshipName,
    protocolVersion: PROTOCOL_VERSION,
  };
  if (reject !== undefined) return { ...base, rejectReason: reject };
  return {
    ...base,
    maxUnackedBndupd: fo.maxUnackedBndupd,
    receiveTimerSec: receiveTimerSec(fo),
    vendorClass: `tandem-${VERSION}`,
    vendorOptions: fingerprintOption(fingerprint),
  };
}
