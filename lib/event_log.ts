/**
 * What the rest of Tandem logs through: an event id (e.g. "dhcp.drop", "failover.transition")
 * plus properties. lib/platform/log.ts sends it to LogTape; MemoryLog keeps it for tests.
 */
export type EventProps = Record<string, unknown>;

/** What the rest of Tandem logs through: an event id plus properties. */
export interface EventLog {
  debug(event: string, props?: EventProps): void;
  info(event: string, props?: EventProps): void;
  warn(event: string, props?: EventProps): void;
  error(event: string, props?: EventProps): void;
  /** Whether info lines are kept now (absent: yes); lets a hot path skip building them. */
  infoEnabled?(): boolean;
}

/** A logger that keeps events in memory, for tests. */
export class MemoryLog implements EventLog {
  readonly events: { level: string; event: string; props: EventProps }[] = [];
  debug(event: string, props: EventProps = {}) {
    this.events.push({ level: "debug", event, props });
  }
  info(event: string, props: EventProps = {}) {
    this.events.push({ level: "info", event, props });
  }
  warn(event: string, props: EventProps = {}) {
    this.events.push({ level: "warn", event, props });
  }
  error(event: string, props: EventProps = {}) {
    this.events.push({ level: "error", event, props });
  }
}
