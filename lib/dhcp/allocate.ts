/**
 * Address allocation (RFC 2131 §4.3.1): the client's existing binding, else its reservation,
 * else the address it asked for, else its previous address while still free, else a pool
 * address. Every candidate must pass addressVerdict(), which also enforces the ServingScope
 * (failover: the primary allocates from FREE, the secondary from BACKUP).
 */
import type { PoolConfig, ReservationConfig, SubnetConfig } from "../config/config.ts";
import type { Lease } from "../lease/lease.ts";
import { broadcastOf, cidrContains, type Ipv4, ipv4 } from "../wire/ipv4.ts";
import { bytesEqual } from "../wire/bytes.ts";
import type { HandleContext } from "./handle_context.ts";
import type { ClientIdentity } from "./request.ts";
import { clientKeyOf } from "../wire/client_key.ts";

export type AllocationSource =
  | "binding"
  | "reservation"
  | "requested"
  | "held"
  | "previous"
  | "pool";

export interface Allocation {
  readonly ip: Ipv4;
  readonly source: AllocationSource;
  /** The stored record of the address, if any. */
  readonly existing: Lease | undefined;
  /** The pool the address is in, if any (for pool-level options). */
  readonly pool: PoolConfig | undefined;
  /** This client's reservation in the subnet, if any (for reservation-level options). */
  readonly reservation: ReservationConfig | undefined;
  /** Pool scans only: the pool offset where the subnet's next scan starts (next fit). */
  readonly nextScan?: number;
}

export type Refusal =
  | "wrong-subnet"
  | "not-in-pool"
  | "excluded"
  | "reserved-for-other"
  | "held-by-other"
  | "bound-to-other"
  | "abandoned"
  | "scope";

export type Verdict =
  | { readonly ok: true; readonly existing: Lease | undefined }
  | { readonly ok: false; readonly refusal: Refusal };

interface SubnetIndex {
  readonly excluded: ReadonlySet<Ipv4>;
  readonly reserved: ReadonlySet<Ipv4>;
  /** Flattened pool ranges: [start, end, pool] in config order. */
  readonly ranges: readonly { start: number; end: number; pool: PoolConfig }[];
  readonly poolSize: number;
}

/** Derived once per (immutable) subnet config object. */
const indexCache = new WeakMap<SubnetConfig, SubnetIndex>();

function indexOf(subnet: SubnetConfig): SubnetIndex {
  const cached = indexCache.get(subnet);
  if (cached !== undefined) return cached;
  const excluded = new Set<Ipv4>();
  const ranges: { start: number; end: number; pool: PoolConfig }[] = [];
  let poolSize = 0;
  for (const pool of subnet.pools) {
    for (const ip of pool.exclude) excluded.add(ip);
    for (const r of pool.ranges) {
      if (r.end < r.start) continue;
      ranges.push({ start: r.start, end: r.end, pool });
      poolSize += r.end - r.start + 1;
    }
  }
  const reserved = new Set<Ipv4>(subnet.reservations.map((r) => r.ip));
  const index = { excluded, reserved, ranges, poolSize };
  indexCache.set(subnet, index);
  return index;
}

export function poolOf(subnet: SubnetConfig, ip: Ipv4): PoolConfig | undefined {
  return indexOf(subnet).ranges.find((r) => ip >= r.start && ip <= r.end)?.pool;
}

/** The client's reservation in this subnet, matched by client id or by hardware address. */
export function reservationFor(
  subnet: SubnetConfig,
  client: ClientIdentity,
): ReservationConfig | undefined {
  return subnet.reservations.find((r) =>
    (r.clientId !== undefined && client.clientId !== undefined &&
      bytesEqual(r.clientId, client.clientId)) ||
    (r.hwAddress !== undefined && bytesEqual(r.hwAddress, client.hwAddr))
  );
}

/** The state allocation should see: an "active" record past its end is expired. */
function effectiveState(l: Lease, nowSec: number): Lease["state"] {
  return l.state === "active" && l.endSec <= nowSec ? "expired" : l.state;
}

/**
 * Whether the address may be bound to this client now. Reserved addresses bypass pool and
 * exclusion checks for their own client only; the scope rules the state of every address that
 * is not already this client's live binding.
 */
export function addressVerdict(
  ip: Ipv4,
  client: ClientIdentity,
  subnet: SubnetConfig,
  ctx: HandleContext,
): Verdict {
  return verdict(ip, client, subnet, ctx, reservationFor(subnet, client)?.ip, false);
}

/** addressVerdict with the per-client lookups done once by the caller (pool scans). */
function verdict(
  ip: Ipv4,
  client: ClientIdentity,
  subnet: SubnetConfig,
  ctx: HandleContext,
  ownReservedIp: Ipv4 | undefined,
  knownInPool: boolean,
): Verdict {
  const no = (refusal: Refusal): Verdict => ({ ok: false, refusal });
  const { leases, nowSec, scope } = ctx;
  // RFC 2131 §4.3.2: an address off the client's subnet is on the wrong network.
  if (!cidrContains(subnet.cidr, ip)) return no("wrong-subnet");
  const index = indexOf(subnet);
  if (ownReservedIp !== ip) {
    if (index.reserved.has(ip)) return no("reserved-for-other");
    if (index.excluded.has(ip)) return no("excluded");
    if (ip === subnet.cidr.network || ip === broadcastOf(subnet.cidr)) return no("not-in-pool");
    if (ip === ctx.config.serverId) return no("not-in-pool");
    if (!knownInPool && poolOf(subnet, ip) === undefined) return no("not-in-pool");
  }
  // RFC 2131 §4.4.1: an address offered to another client is held for it until the hold ends.
  const hold = leases.hold(ip);
  if (hold !== undefined && hold.untilSec > nowSec && hold.clientKey !== client.clientKey) {
    return no("held-by-other");
  }
  const rec = leases.get(ip);
  if (rec === undefined) {
    const state = scope.defaultState(ip, subnet.id);
    return scope.mayAllocate(state, undefined, nowSec) ? { ok: true, existing: rec } : no("scope");
  }
  const own = rec.clientKey !== "" && rec.clientKey === client.clientKey;
  // The client's own binding, even just past its end: nothing has told the partner it ended
  // yet (the sweep has not made it EXPIRED), so it may have it back (draft-12 §5.11 EXPIRED).
  if (own && rec.state === "active") return { ok: true, existing: rec };
  const state = effectiveState(rec, nowSec);
  if (state === "active") return no("bound-to-other");
  // RFC 2131 §3.1 step 5: a declined address stays out of use for the probation period, and
  // until the sweep has returned it to its pool (through RESET on a failover pair, Figure
  // 5.11-1 note 3), so no decision ever moves ABANDONED straight to ACTIVE.
  if (state === "abandoned") return no("abandoned");
  // Another client's ended binding (EXPIRED/RELEASED/RESET, or ACTIVE past its end and not yet
  // swept): the scope decides (failover: not before the partner acked the end, §5.2.2).
  return scope.mayAllocate(state, rec, nowSec) ? { ok: true, existing: rec } : no("scope");
}

/** True when no other client left its mark on the record ("never used" for stickiness). */
function untouchedByOthers(rec: Lease | undefined, client: ClientIdentity): boolean {
  return rec === undefined || rec.clientKey === "" || rec.clientKey === client.clientKey;
}

/**
 * How far a scan goes past the first reusable address (another client's expired or released
 * one) looking for an untouched one. Bounds the cost per allocation in a pool every address of
 * which has been used before (the steady state of a busy network) to this many lookups.
 */
const REUSE_WINDOW = 256;

/**
 * Scans the pools from the subnet's cursor (next fit, as Kea's iterative allocator), wrapping
 * once. Stops at the first address no other client has used. While scanning it remembers,
 * among the addresses other clients used, the one that stopped being theirs longest ago, and
 * returns that when REUSE_WINDOW more addresses held nothing untouched (least recently used
 * first, so a client whose lease just ran out is likely to find its address still free).
 * Next fit hands consecutive new clients neighbouring addresses, so a batch of new leases
 * touches a few pages of the lease table instead of one page each (a start hashed from the
 * client key cost ~250 page writes per commit at 5,000 DORA/s), and the cursor makes a filling
 * pool O(1) per allocation: the scan starts past the last address taken.
 */
function scanPools(
  client: ClientIdentity,
  subnet: SubnetConfig,
  ctx: HandleContext,
): { ip: Ipv4; existing: Lease | undefined; next: number } | undefined {
  const { ranges, poolSize } = indexOf(subnet);
  if (poolSize === 0) return undefined;
  const first = (ctx.poolCursor?.get(subnet.id) ?? 0) % poolSize;
  let offset = first;
  let r = 0;
  while (r < ranges.length && offset > (ranges[r]?.end ?? 0) - (ranges[r]?.start ?? 0)) {
    offset -= (ranges[r]?.end ?? 0) - (ranges[r]?.start ?? 0) + 1;
    r++;
  }
  const ownReservedIp = reservationFor(subnet, client)?.ip;
  let oldest:
    | { ip: Ipv4; existing: Lease | undefined; sinceSec: number; at: number; seen: number }
    | undefined;
  for (let seen = 0; seen < poolSize; seen++) {
    if (oldest !== undefined && seen - oldest.seen >= REUSE_WINDOW) break;
    const range = ranges[r];
    if (range === undefined) break; // unreachable: offsets stay within poolSize
    const ip = ipv4(range.start + offset);
    const v = verdict(ip, client, subnet, ctx, ownReservedIp, true);
    if (v.ok) {
      const next = (first + seen + 1) % poolSize;
      if (untouchedByOthers(v.existing, client)) return { ip, existing: v.existing, next };
      // Reclaim the address that stopped being another client's longest ago (its end).
      const since = v.existing?.endSec ?? 0;
      if (oldest === undefined) {
        oldest = { ip, existing: v.existing, sinceSec: since, at: next, seen };
      } else if (since < oldest.sinceSec) {
        oldest = { ...oldest, ip, existing: v.existing, sinceSec: since, at: next };
      }
    }
    offset++;
    if (range.start + offset > range.end) {
      offset = 0;
      r = (r + 1) % ranges.length;
    }
  }
  return oldest === undefined
    ? undefined
    : { ip: oldest.ip, existing: oldest.existing, next: oldest.at };
}

/**
 * A client that sends a client identifier, and whose earlier binding was recorded by chaddr
 * alone (ISC dhcpd replicates an ended lease without its client-uid; a lease file import may
 * lack it too): those records, so the client finds its previous address (RFC 2131 §4.3.1).
 * A record made with another client identifier is not this client's.
 */
function recordedByChaddr(
  client: ClientIdentity,
  subnet: SubnetConfig,
  ctx: HandleContext,
): readonly Lease[] {
  if (client.clientId === undefined || client.clientId.length === 0) return [];
  return ctx.leases.byClient(clientKeyOf(undefined, client.htype, client.hwAddr))
    .filter((l) => l.subnetId === subnet.id && l.clientId === "");
}

/**
 * Picks the address for a client in a subnet (RFC 2131 §4.3.1 order), or undefined when none
 * is available. requestedIp is option 50 (DISCOVER) when present.
 */
export function allocate(
  client: ClientIdentity,
  subnet: SubnetConfig,
  requestedIp: Ipv4 | undefined,
  ctx: HandleContext,
): Allocation | undefined {
  const reservation = reservationFor(subnet, client);
  const found = (ip: Ipv4, source: AllocationSource, existing: Lease | undefined) => ({
    ip,
    source,
    existing,
    pool: poolOf(subnet, ip),
    reservation,
  });
  const mine = ctx.leases.byClient(client.clientKey).filter((l) => l.subnetId === subnet.id);
  // §4.3.1: "The client's current address as recorded in the client's current binding".
  for (const l of mine) {
    if (l.state !== "active" || l.endSec <= ctx.nowSec) continue;
    const v = addressVerdict(l.ip, client, subnet, ctx);
    if (v.ok) return found(l.ip, "binding", v.existing);
  }
  if (reservation !== undefined) {
    const v = addressVerdict(reservation.ip, client, subnet, ctx);
    if (v.ok) return found(reservation.ip, "reservation", v.existing);
  }
  // §4.3.1: "The address requested in the 'Requested IP Address' option, if that address is
  // valid and not already allocated". Another client's expired address is not taken this way.
  if (requestedIp !== undefined) {
    const v = addressVerdict(requestedIp, client, subnet, ctx);
    if (v.ok && untouchedByOthers(v.existing, client)) {
      return found(requestedIp, "requested", v.existing);
    }
  }
  // The address already on offer to this client (RFC 2131 §4.4.1 hold): a retransmitted
  // DISCOVER is offered the same address again.
  const held = ctx.leases.heldFor(client.clientKey);
  if (held !== undefined) {
    const v = addressVerdict(held, client, subnet, ctx);
    if (v.ok) return found(held, "held", v.existing);
  }
  // §4.3.1: "The client's previous address as recorded in the client's (now expired or
  // released) binding, if that address is in the server's pool of available addresses".
  for (const l of [...mine, ...recordedByChaddr(client, subnet, ctx)]) {
    if (l.state === "active" && l.endSec > ctx.nowSec) continue;
    const v = addressVerdict(l.ip, client, subnet, ctx);
    if (v.ok) return found(l.ip, "previous", v.existing);
  }
  // §4.3.1: "A new address allocated from the server's pool of available addresses". A pool
  // a whole scan found empty this second is not scanned again (handle_context.ts).
  if ((ctx.poolFullUntil?.get(subnet.id) ?? -Infinity) >= ctx.nowSec) return undefined;
  const scanned = scanPools(client, subnet, ctx);
  if (scanned === undefined) return undefined;
  return { ...found(scanned.ip, "pool", scanned.existing), nextScan: scanned.next };
}
