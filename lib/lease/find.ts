/**
 * Finding leases the way an operator asks (issue #12 item 6): by address, by MAC (every record
 * that names it) or by client identifier (RFC 2131 §4.2: the client's key when it sends one).
 * Pure over a LeaseView; the MAC search reads every record (an operator call, not a packet's).
 */
import type { Lease } from "./lease.ts";
import type { LeaseView } from "./store.ts";
import { parseIpv4 } from "../wire/ipv4.ts";

export interface LeaseQuery {
  readonly ip?: string;
  readonly mac?: string;
  readonly clientId?: string;
}

/** "02:00:5E:10:00:01", "02-00-5e-10-00-01" or "02005e100001" -> "02005e100001". */
export function plainHex(text: string): string {
  return text.replace(/[:\-.\s]/g, "").toLowerCase();
}

/** The part of a LeaseView a search needs (a database file read by the CLI gives it too). */
export type Searchable = Pick<LeaseView, "get" | "byClient" | "all">;

export function findLeases(view: Searchable, q: LeaseQuery): Lease[] {
  if (q.ip !== undefined) {
    const ip = parseIpv4(q.ip);
    const l = ip === undefined ? undefined : view.get(ip);
    return l === undefined ? [] : [l];
  }
  if (q.clientId !== undefined) {
    return [...view.byClient(`id:${plainHex(q.clientId)}`)];
  }
  if (q.mac !== undefined) {
    const hw = plainHex(q.mac);
    return [...view.all()].filter((l) => l.hwAddr === hw);
  }
  return [];
}
