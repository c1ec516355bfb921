/**
 * Drives relay coverage (relay_coverage.ts) for the peer: notes the relays the DHCP server
 * hears, reports this box's table to a Tandem partner (message type 200) when a relay is new
 * and every REPORT_EVERY_SEC, reads the partner's, and raises or clears the one-sided alarms,
 * each logged once per change. A legacy partner is never sent the table (draft messages only).
 */
import type { SubnetConfig } from "../config/config.ts";
import type { EventLog } from "../event_log.ts";
import { cidrContains, type Ipv4 } from "../wire/ipv4.ts";
import type { VendorOptions } from "./messages.ts";
import { type OneSided, oneSidedText, RelayCoverage, VENDOR_RELAYS } from "./relay_coverage.ts";

/**
 * A full report this often even without a new relay: the partner's view of "last heard". At
 * most half the alarm time, so a relay the partner still hears never looks silent there.
 */
const REPORT_EVERY_SEC = 30;
const reportEverySec = (alarmSec: number) =>
  Math.max(1, Math.min(REPORT_EVERY_SEC, Math.floor(alarmSec / 2)));

export interface RelayWatchHost {
  readonly log: EventLog;
  readonly alarmSec: number;
  subnets(): readonly SubnetConfig[];
  nowSec(): number;
  /** Sends the Tandem message; false when there is no Tandem partner link to send it on. */
  send(vendorOptions: VendorOptions): boolean;
  /** The partner's DHCP-facing address (its server id), for the operator's sentence. */
  partnerName(): string;
}

export class RelayWatch {
  readonly #h: RelayWatchHost;
  readonly #coverage: RelayCoverage;
  #lastReportSec = -Infinity;
  #alarms: OneSided[] = [];

  constructor(host: RelayWatchHost) {
    this.#h = host;
    this.#coverage = new RelayCoverage(host.nowSec(), host.alarmSec);
  }

  /** The DHCP server heard a client through relay giaddr (every relayed packet: cheap). */
  heard(giaddr: Ipv4): void {
    this.#coverage.heard(giaddr, this.#h.nowSec(), this.#subnetOf);
  }

  /** The subnets changed (reload, the primary's scopes): relays are looked up again. */
  subnetsChanged(): void {
    this.#coverage.resubnet(this.#subnetOf);
  }

  /** The subnet a relay's address falls in (0: none configured). */
  readonly #subnetOf = (giaddr: Ipv4): number =>
    this.#h.subnets().find((s) => cidrContains(s.cidr, giaddr))?.id ?? 0;

  /** Every second: report when due, then re-evaluate the alarms. */
  tick(): void {
    const now = this.#h.nowSec();
    if (
      this.#coverage.changed || now - this.#lastReportSec >= reportEverySec(this.#h.alarmSec)
    ) {
      const sent = this.#h.send(new Map([[VENDOR_RELAYS, this.#coverage.report(now)]]));
      if (sent) this.#lastReportSec = now;
    }
    this.#evaluate(now);
  }

  received(vendorOptions: VendorOptions): void {
    const table = vendorOptions.get(VENDOR_RELAYS);
    if (table === undefined) return;
    if (!this.#coverage.partnerReport(table, this.#h.nowSec())) {
      this.#h.log.warn("failover.relay_report_invalid", { bytes: table.length });
    }
  }

  linkLost(): void {
    this.#coverage.partnerGone();
    this.#lastReportSec = -Infinity; // the next link gets a report at once
  }

  /** The relays heard by one box only, now (for /status, /metrics, `tandem status`). */
  get alarms(): readonly OneSided[] {
    return this.#alarms;
  }

  text(o: OneSided): string {
    return oneSidedText(o, this.#h.partnerName());
  }

  #evaluate(now: number): void {
    const next = this.#coverage.oneSided(now);
    // Without the partner's reports nothing can be told: the alarms stand as they were.
    if (next === undefined) return;
    const key = (o: OneSided) => `${o.relay}/${o.subnetId}/${o.heardBy}`;
    const before = new Set(this.#alarms.map(key));
    const after = new Set(next.map(key));
    for (const o of next) {
      if (!before.has(key(o))) {
        this.#h.log.warn("relay.one_sided", {
          relay: o.relay,
          subnet: o.subnetId,
          heard_by: o.heardBy,
          message: this.text(o),
        });
      }
    }
    for (const o of this.#alarms) {
      if (!after.has(key(o))) {
        this.#h.log.info("relay.one_sided_cleared", { relay: o.relay, subnet: o.subnetId });
      }
    }
    this.#alarms = next;
  }
}
