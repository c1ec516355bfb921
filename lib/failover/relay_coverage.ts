/**
 * Relay coverage (issue #12 item 4; the origin article: "If you skip this step, you'll end up
 * with a non-fault-tolerant network"): each box records, per relay address (giaddr, with the
 * subnet it falls in),
 * when it first and last heard a client through that relay; the two boxes swap their tables
 * (Tandem message type 200, vendor sub-option 1); a relay heard by one box only for longer than
 * `relay_alarm_sec` raises an alarm on both. A warning, never an outage: /readyz is not touched.
 * Pure: times are given.
 */
import { formatIpv4, type Ipv4, ipv4 } from "../wire/ipv4.ts";

/** Vendor sub-option of the Tandem message carrying the relay table. */
export const VENDOR_RELAYS = 1;
/** Entries per report: 16 bytes each stays well inside the 2048-byte message (§6.1). */
export const MAX_REPORTED = 100;
/** Relays not heard for this long are forgotten (and not reported). */
const FORGET_SEC = 86_400;

/** One relay as heard by one box; its subnet is the one its giaddr falls in (config). */
interface Heard {
  readonly giaddr: Ipv4;
  subnetId: number;
  firstSec: number;
  lastSec: number;
}

export interface OneSided {
  readonly relay: string;
  readonly subnetId: number;
  /** Which box hears it. */
  readonly heardBy: "this box" | "partner";
  /** Since when the other box has not heard it (or this box's first hearing of it). */
  readonly sinceSec: number;
}

export class RelayCoverage {
  /** By giaddr: a relay's subnet follows from its address, so the address is the key. */
  readonly #mine = new Map<Ipv4, Heard>();
  readonly #theirs = new Map<Ipv4, Heard>();
  /** When the partner's reports began arriving (this run), and when this box started. */
  #partnerReportingSinceSec: number | undefined;
  readonly #startedSec: number;
  #dirty = false;

  constructor(nowSec: number, readonly alarmSec: number) {
    this.#startedSec = nowSec;
  }

  /**
   * A client was heard through relay giaddr (the packet path: one Map lookup); subnetOf is
   * asked only for a relay heard for the first time.
   */
  heard(giaddr: Ipv4, nowSec: number, subnetOf: (giaddr: Ipv4) => number): void {
    const h = this.#mine.get(giaddr);
    if (h !== undefined) {
      h.lastSec = nowSec;
      return;
    }
    this.#mine.set(giaddr, {
      giaddr,
      subnetId: subnetOf(giaddr),
      firstSec: nowSec,
      lastSec: nowSec,
    });
    this.#dirty = true;
  }

  /** The subnets changed (a reload, the primary's scopes): each relay's subnet again. */
  resubnet(subnetOf: (giaddr: Ipv4) => number): void {
    for (const h of this.#mine.values()) h.subnetId = subnetOf(h.giaddr);
    this.#dirty = true;
  }

  /** A relay was heard for the first time since the last report (report it soon). */
  get changed(): boolean {
    return this.#dirty;
  }

  /** This box's table for the partner: giaddr, subnet id, seconds since first and last heard. */
  report(nowSec: number): Uint8Array {
    this.#dirty = false;
    const live = [...this.#mine.entries()].filter(([k, h]) => {
      if (nowSec - h.lastSec <= FORGET_SEC) return true;
      this.#mine.delete(k);
      return false;
    }).map(([, h]) => h).sort((a, b) => b.lastSec - a.lastSec).slice(0, MAX_REPORTED);
    const out = new Uint8Array(live.length * 16);
    const v = new DataView(out.buffer);
    live.forEach((h, i) => {
      v.setUint32(i * 16, h.giaddr);
      v.setUint32(i * 16 + 4, h.subnetId);
      v.setUint32(i * 16 + 8, Math.max(0, nowSec - h.firstSec));
      v.setUint32(i * 16 + 12, Math.max(0, nowSec - h.lastSec));
    });
    return out;
  }

  /** The partner's report, received now (ages make it independent of the partner's clock). */
  partnerReport(bytes: Uint8Array, nowSec: number): boolean {
    if (bytes.length % 16 !== 0 || bytes.length > MAX_REPORTED * 16) return false;
    this.#partnerReportingSinceSec ??= nowSec;
    this.#theirs.clear();
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < bytes.length; i += 16) {
      const giaddr = ipv4(v.getUint32(i));
      const subnetId = v.getUint32(i + 4);
      this.#theirs.set(giaddr, {
        giaddr,
        subnetId,
        firstSec: nowSec - v.getUint32(i + 8),
        lastSec: nowSec - v.getUint32(i + 12),
      });
    }
    return true;
  }

  /** The link to the partner went down: its reports start over when it returns. */
  partnerGone(): void {
    this.#partnerReportingSinceSec = undefined;
  }

  /**
   * Relays heard by one box only, for longer than alarmSec: heard recently (within alarmSec)
   * on one side, heard there for at least alarmSec, and not heard on the other side during
   * that time, while both sides have been listening (and reporting) for at least alarmSec.
   * undefined while that cannot be told (no partner reports, or too recent ones).
   */
  oneSided(nowSec: number): OneSided[] | undefined {
    const since = this.#partnerReportingSinceSec;
    const a = this.alarmSec;
    if (a <= 0) return [];
    // Not comparable yet (or any more): the partner's reports are too recent, or absent.
    if (since === undefined || nowSec - since < a || nowSec - this.#startedSec < a) {
      return undefined;
    }
    const out: OneSided[] = [];
    const check = (
      side: ReadonlyMap<Ipv4, Heard>,
      other: ReadonlyMap<Ipv4, Heard>,
      heardBy: OneSided["heardBy"],
    ) => {
      for (const [giaddr, h] of side) {
        if (nowSec - h.lastSec > a || nowSec - h.firstSec < a) continue;
        const o = other.get(giaddr);
        if (o !== undefined && o.lastSec >= nowSec - a) continue;
        out.push({
          relay: formatIpv4(h.giaddr),
          subnetId: h.subnetId,
          heardBy,
          sinceSec: o?.lastSec ?? h.firstSec,
        });
      }
    };
    check(this.#mine, this.#theirs, "this box");
    check(this.#theirs, this.#mine, "partner");
    return out.sort((x, y) => x.relay.localeCompare(y.relay) || x.subnetId - y.subnetId);
  }
}

/** The operator's sentence for an alarm (log, /status, `tandem status`). */
export function oneSidedText(o: OneSided, partnerAddress: string): string {
  return o.heardBy === "this box"
    ? `relay ${o.relay} (subnet ${o.subnetId}) forwards to this box only: add the partner ` +
      `(${partnerAddress}) as a helper address on it`
    : `relay ${o.relay} (subnet ${o.subnetId}) forwards to the partner (${partnerAddress}) only: ` +
      "add this box as a helper address on it";
}
