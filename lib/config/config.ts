/**
 * The validated, fully defaulted configuration every other module reads.
 * Produced by parse_config.ts from TOML; never built by hand outside tests.
 * Keys in TOML are snake_case; here they are camelCase with units in the name.
 */
import type { Cidr, Ipv4 } from "../wire/ipv4.ts";
import type { OptionBag } from "../wire/dhcp_options.ts";

export type Role = "standalone" | "primary" | "secondary";
export type LogLevel = "debug" | "info" | "warning" | "error";

export interface AddressRange {
  readonly start: Ipv4;
  readonly end: Ipv4; // inclusive
}

export interface PoolConfig {
  readonly ranges: readonly AddressRange[];
  readonly exclude: readonly Ipv4[];
  /** Encoded option values (code -> bytes) set at pool level. */
  readonly options: OptionBag;
}

export interface ReservationConfig {
  /** Hardware address (6 bytes for Ethernet) or undefined when matched by client id. */
  readonly hwAddress?: Uint8Array;
  /** Option 61 value bytes (type byte included) when matched by client id. */
  readonly clientId?: Uint8Array;
  readonly ip: Ipv4;
  readonly hostname?: string;
  readonly options: OptionBag;
}

export interface LeaseTimes {
  readonly defaultSec: number;
  readonly minSec: number;
  readonly maxSec: number;
  /** Renewal (T1) and rebinding (T2) as fractions of the lease (RFC 2131 §4.4.5: .5, .875). */
  readonly t1Ratio: number;
  readonly t2Ratio: number;
}

export interface SubnetConfig {
  /** Stable numeric id (configured or derived from position, 1-based). */
  readonly id: number;
  readonly cidr: Cidr;
  /** True for the one segment the server is directly attached to (no relay). */
  readonly direct: boolean;
  readonly pools: readonly PoolConfig[];
  readonly reservations: readonly ReservationConfig[];
  readonly options: OptionBag;
  readonly leaseTimes: LeaseTimes;
}

export interface DhcpListenConfig {
  readonly address: string; // bind address, "0.0.0.0" normally
  readonly port: number; // 67
  /** Client port replies go to (68); overridable for unprivileged tests. */
  readonly clientPort: number;
  /** Interface of the directly attached segment (for logs/status and broadcast routing). */
  readonly interface?: string;
  /**
   * Where broadcasts to the directly attached segment go. Unset: the direct subnet's directed
   * broadcast (e.g. 192.0.2.255), which leaves by that subnet's interface whatever the routing
   * table says; 255.255.255.255 would follow the default route, or fail without one.
   */
  readonly broadcastAddress?: string;
}

export interface FailoverConfig {
  readonly relationshipName: string;
  readonly myAddress: string; // listen address for TCP
  readonly myPort: number; // 647
  readonly partnerAddress: string;
  readonly partnerPort: number;
  readonly mode: "hot-standby" | "load-balancing";
  readonly mcltSec: number;
  /** Load-balancing: buckets 0..split-1 are the primary's (RFC 3074 hash, ISC meaning). */
  readonly split: number;
  /** Share of each pool's free addresses that belong to the secondary (BACKUP), percent. */
  readonly reservePercent: number;
  /** Load balancing: answer a client of the partner once its secs exceed this. */
  readonly loadBalanceMaxSecs: number;
  readonly contactIntervalMs: number;
  readonly receiveTimerMs: number;
  /** COMMUNICATIONS-INTERRUPTED -> PARTNER-DOWN after this long; 0 = never automatically. */
  readonly autoPartnerDownSec: number;
  /** A relay heard by one box only for this long raises an alarm (relay_coverage.ts); 0 off. */
  readonly relayAlarmSec: number;
  readonly maxUnackedBndupd: number;
  /** draft §11.1: "hmac" signs and requires a digest on every message; "none" neither. */
  /** "isc-dhcpd": legacy-peer mode (FailoverConfig docs in schema.ts). */
  readonly partner: "tandem" | "isc-dhcpd";
  readonly authentication: "hmac" | "none";
  /** Empty when authentication is "none". */
  readonly sharedSecret: string;
  readonly maxClockSkewSec: number;
  /** draft §11.2: mutual TLS on the peer channel; PEM file paths. Absent: no TLS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

export interface Config {
  readonly role: Role;
  readonly serverId: Ipv4;
  readonly dhcp: DhcpListenConfig;
  readonly authoritative: boolean;
  /** RFC 2131 §4.4.1: how long an offered address is held for the client. */
  readonly offerHoldSec: number;
  /** RFC 2131 §3.1 step 5: a DECLINEd address is kept out of use this long. */
  readonly declineProbationSec: number;
  readonly leaseTimes: LeaseTimes;
  readonly options: OptionBag;
  readonly subnets: readonly SubnetConfig[];
  readonly http: { readonly address: string; readonly port: number; readonly adminToken?: string };
  readonly stateDir: string;
  /** pool.low below this percent of a subnet's pool addresses available (0: never). */
  readonly poolLowPercent: number;
  /** How long a group of decided lease changes may wait for more before its commit. */
  readonly commitWindowMs: number;
  /** Days of lease history kept in the store; 0: none recorded. */
  readonly historyDays: number;
  readonly logLevel: LogLevel;
  /**
   * The TOML document this config was read from (after [[box]] selection), as plain values:
   * a primary sends its scope tables from it and a secondary merges them into its own
   * (scope_doc.ts, issue #12 item 2). Absent for configs built in code (tests).
   */
  readonly sourceDoc?: unknown;
  readonly failover?: FailoverConfig;
}
