/**
 * The TOML schema (snake_case keys) as zod: types, enumerations, integer bounds, defaults and
 * unknown keys. Everything that needs to look at two values at once, or at what an address
 * means, is in semantic.ts; addresses are still strings here.
 */
import { z } from "zod";

/** RFC 2132 §9.2: 0xffffffff means "infinite", so the largest finite lease is one less. */
export const MAX_LEASE_SEC = 0xfffffffe;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const port = int(1, 65535);
const seconds = int(0, MAX_LEASE_SEC);
/** Option name -> TOML value; names and values are checked by encodeOptionValue. */
const options = z.record(z.string(), z.unknown());

export const DEFAULT_LEASE = {
  default_sec: 3600,
  min_sec: 300,
  max_sec: 86400,
  t1_ratio: 0.5, // RFC 2131 §4.4.5
  t2_ratio: 0.875, // RFC 2131 §4.4.5
} as const;

const leaseTimes = z.strictObject({
  default_sec: int(1, MAX_LEASE_SEC).default(DEFAULT_LEASE.default_sec),
  min_sec: int(1, MAX_LEASE_SEC).default(DEFAULT_LEASE.min_sec),
  max_sec: int(1, MAX_LEASE_SEC).default(DEFAULT_LEASE.max_sec),
  t1_ratio: z.number().default(DEFAULT_LEASE.t1_ratio),
  t2_ratio: z.number().default(DEFAULT_LEASE.t2_ratio),
});

/** A subnet's [subnet.lease] overrides single keys of the global [lease]. */
const leaseOverrides = z.strictObject({
  default_sec: int(1, MAX_LEASE_SEC).optional(),
  min_sec: int(1, MAX_LEASE_SEC).optional(),
  max_sec: int(1, MAX_LEASE_SEC).optional(),
  t1_ratio: z.number().optional(),
  t2_ratio: z.number().optional(),
});

const dhcp = z.strictObject({
  listen_address: z.string().default("0.0.0.0"),
  port: port.default(67),
  client_port: port.default(68),
  interface: z.string().min(1).optional(),
  broadcast_address: z.string().optional(),
});

const http = z.strictObject({
  listen: z.string().default("127.0.0.1:8067"),
  admin_token: z.string().optional(),
});

const pool = z.strictObject({
  range: z.string().optional(),
  ranges: z.array(z.string()).optional(),
  exclude: z.array(z.string()).default([]),
  options: options.default({}),
});

const reservation = z.strictObject({
  hw_address: z.string().optional(),
  client_id: z.string().optional(),
  ip: z.string(),
  hostname: z.string().optional(),
  options: options.default({}),
});

const subnet = z.strictObject({
  id: int(1, 0x7fffffff).optional(),
  cidr: z.string(),
  direct: z.boolean().default(false),
  lease: leaseOverrides.optional(),
  options: options.default({}),
  pool: z.array(pool).default([]),
  reservation: z.array(reservation).default([]),
});

const failover = z.strictObject({
  relationship: z.string().min(1).max(64).default("tandem"),
  my_address: z.string(),
  my_port: port.default(647),
  partner_address: z.string(),
  partner_port: port.default(647),
  mode: z.enum(["hot-standby", "load-balancing"]).default("hot-standby"),
  mclt_sec: seconds.default(300),
  split: int(0, 256).default(128),
  reserve_percent: int(0, 100).default(10),
  load_balance_max_secs: int(0, 65535).default(3),
  contact_interval_ms: int(1, 3_600_000).default(200),
  receive_timer_ms: int(1, 3_600_000).default(800),
  auto_partner_down_sec: seconds.default(0),
  /** A relay (giaddr) heard by one box only for this long is an alarm; 0 turns it off. */
  relay_alarm_sec: int(0, 604_800).default(300),
  max_unacked_bndupd: int(1, 65535).default(64),
  /**
   * Who the partner is: another Tandem, or ISC dhcpd 4.4 (legacy-peer mode: no digest, no
   * Tandem vendor options, one binding per BNDUPD; isc-notes §3).
   */
  partner: z.enum(["tandem", "isc-dhcpd"]).default("tandem"),
  /** draft §11.1: "hmac" signs every message with shared_secret; "none" must be said. */
  authentication: z.enum(["hmac", "none"]).default("hmac"),
  shared_secret: z.string().optional(),
  max_clock_skew_sec: seconds.default(60),
  /** draft §11.2: mutual TLS on the peer channel (TLS-request/TLS-reply), off when absent. */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1) })
    .optional(),
});

export const configSchema = z.strictObject({
  role: z.enum(["standalone", "primary", "secondary"]).default("standalone"),
  server_id: z.string(),
  authoritative: z.boolean().default(true),
  offer_hold_sec: int(1, 3600).default(30),
  decline_probation_sec: seconds.default(3600),
  /** Below this share of a subnet's pool addresses available: pool.low (app/pool_watch.ts). */
  pool_low_percent: int(0, 100).default(10),
  dhcp: dhcp.prefault({}),
  lease: leaseTimes.prefault({}),
  http: http.prefault({}),
  store: z.strictObject({
    state_dir: z.string().min(1).default("/var/lib/tandem"),
    /** Group commit window (lib/lease/group_commit.ts): ISC dhcpd's delayed-ack, bounded. */
    commit_window_ms: int(0, 100).default(10),
    /** Lease history kept this many days (`tandem leases --history`); 0 keeps none. */
    history_days: int(0, 3650).default(30),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(["debug", "info", "warning", "error"]).default("info"),
  }).prefault({}),
  options: options.default({}),
  subnet: z.array(subnet).default([]),
  failover: failover.optional(),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawSubnet = z.output<typeof subnet>;
export type RawPool = z.output<typeof pool>;
export type RawReservation = z.output<typeof reservation>;
export type RawLeaseTimes = z.output<typeof leaseTimes>;
export type RawFailover = z.output<typeof failover>;

/** A subnet's lease times: the global [lease] with the keys [subnet.lease] sets replaced. */
export function mergeLeaseTimes(
  global: RawLeaseTimes,
  overrides: RawSubnet["lease"],
): RawLeaseTimes {
  const merged = { ...global };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (typeof v === "number") merged[k as keyof RawLeaseTimes] = v;
  }
  return merged;
}

/** The schema found at a key path (array indices are skipped), unwrapping defaults. */
export function schemaAt(segments: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = configSchema;
  for (const seg of segments) {
    s = unwrap(s);
    if (s instanceof z.ZodArray && typeof seg === "number") s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject && typeof seg === "string") {
      s = (s.shape as Record<string, z.ZodType>)[seg];
    } else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return undefined;
    if (s === undefined) return undefined;
  }
  return unwrap(s);
}

/** Keys the table at `segments` accepts; empty when it is not a fixed-key table. */
export function knownKeysAt(segments: readonly PropertyKey[]): string[] {
  const s = schemaAt(segments);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/**
 * Every fixed key with the table it belongs in, written as a TOML header ("[[subnet]]"), and,
 * when the key is itself a table, its own header ("[[subnet.pool]]").
 */
export function everyKnownKey(): { key: string; table: string; header?: string }[] {
  const out: { key: string; table: string; header?: string }[] = [];
  const headerOf = (names: readonly string[], isArray: boolean) => {
    const name = names.join(".");
    return name === "" ? "the top level" : isArray ? `[[${name}]]` : `[${name}]`;
  };
  const walk = (s: z.ZodType, names: string[], isArray: boolean) => {
    const u = unwrap(s);
    if (u instanceof z.ZodArray) return walk(u.element as z.ZodType, names, true);
    if (!(u instanceof z.ZodObject)) return;
    const table = headerOf(names, isArray);
    for (const [key, child] of Object.entries(u.shape as Record<string, z.ZodType>)) {
      const c = unwrap(child);
      const own = c instanceof z.ZodArray ? unwrap(c.element as z.ZodType) : c;
      const isTable = own instanceof z.ZodObject || own instanceof z.ZodRecord;
      const header = headerOf([...names, key], c instanceof z.ZodArray);
      out.push(isTable ? { key, table, header } : { key, table });
      walk(child, [...names, key], false);
    }
  };
  walk(configSchema, [], false);
  return out;
}

function unwrap(s: z.ZodType): z.ZodType {
  let u = s;
  while (u instanceof z.ZodOptional || u instanceof z.ZodDefault || u instanceof z.ZodPrefault) {
    u = u.unwrap() as z.ZodType;
  }
  return u;
}
