/** `tandem leases`: reads the lease database (safe while the server runs: WAL readers). */
import { readHistoryFile, readLeasesFile } from "../platform/sqlite_store.ts";
import type { Lease } from "../lease/lease.ts";
import { BINDING_STATES, type BindingState } from "../lease/lease.ts";
import { formatIpv4, parseIpv4 } from "../wire/ipv4.ts";
import { macFromHex } from "../wire/client_key.ts";
import { findLeases, type LeaseQuery, type Searchable } from "../lease/find.ts";

/** The records read from a database file, as the view findLeases searches. */
function viewOf(leases: readonly Lease[]): Searchable {
  const byIp = new Map(leases.map((l) => [l.ip, l]));
  return {
    get: (ip) => byIp.get(ip),
    byClient: (key) => leases.filter((l) => l.clientKey === key),
    all: () => leases,
  };
}

export interface LeasesOptions {
  readonly json: boolean;
  readonly state: string | undefined;
  /** Only the leases of this address, MAC or client id (lib/lease/find.ts). */
  readonly find?: LeaseQuery;
}

function iso(sec: number): string {
  return sec > 0 ? new Date(sec * 1000).toISOString().replace(".000Z", "Z") : "-";
}

function databaseExists(dbPath: string): boolean {
  try {
    Deno.statSync(dbPath);
    return true;
  } catch {
    console.error(`tandem leases: no lease database at ${dbPath} (has the server run yet?)`);
    return false;
  }
}

function printTable(head: readonly string[], rows: readonly string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}

export function leaseJson(l: Lease) {
  return {
    ip: formatIpv4(l.ip),
    state: l.state,
    subnet_id: l.subnetId,
    hw_address: macFromHex(l.hwAddr),
    client_id: l.clientId,
    client_key: l.clientKey,
    hostname: l.hostname,
    start: iso(l.startSec),
    end: iso(l.endSec),
    cltt: iso(l.clttSec),
    start_sec: l.startSec,
    end_sec: l.endSec,
    cltt_sec: l.clttSec,
  };
}

export function printLeases(dbPath: string, opts: LeasesOptions): number {
  if (opts.state !== undefined && !BINDING_STATES.includes(opts.state as BindingState)) {
    console.error(`tandem leases: --state must be one of ${BINDING_STATES.join(", ")}`);
    return 2;
  }
  if (!databaseExists(dbPath)) return 1;
  const all = readLeasesFile(dbPath);
  const found = opts.find === undefined ? all : findLeases(viewOf(all), opts.find);
  const leases = found.filter((l) => opts.state === undefined || l.state === opts.state);
  if (opts.json) {
    console.log(JSON.stringify(leases.map(leaseJson), null, 2));
    return 0;
  }
  const rows = leases.map((l) => {
    const j = leaseJson(l);
    return [j.ip, j.state, j.hw_address || "-", j.hostname || "-", j.end];
  });
  printTable(["ADDRESS", "STATE", "HARDWARE", "HOSTNAME", "ENDS"], rows);
  console.log(`${leases.length} lease record(s)`);
  return 0;
}

export interface HistoryOptions {
  readonly json: boolean;
  /** An ISO 8601 or local date-time ("2026-12-05 14:05"): who held it then. */
  readonly at: string | undefined;
}

/**
 * `tandem leases --history ADDRESS|MAC [--at TIME]`: every recorded change of an address or of
 * a client's hardware address, oldest first; with --at, who held it at that moment.
 */
export function printHistory(dbPath: string, query: string, opts: HistoryOptions): number {
  const ip = parseIpv4(query);
  const hw = query.toLowerCase().replace(/[:.-]/g, "");
  if (ip === undefined && !/^([0-9a-f]{2}){1,16}$/.test(hw)) {
    console.error(
      `tandem leases --history: "${query}" is neither an IPv4 address nor a hardware address ` +
        "(e.g. 10.1.2.3 or 52:54:00:12:34:56)",
    );
    return 2;
  }
  const atSec = opts.at === undefined ? undefined : Date.parse(opts.at) / 1000;
  if (atSec !== undefined && !Number.isFinite(atSec)) {
    console.error(
      `tandem leases --at: "${opts.at}" is not a date and time; write e.g. ` +
        '"2026-12-05 14:05" (local time) or 2026-12-05T13:05:00Z',
    );
    return 2;
  }
  if (!databaseExists(dbPath)) return 1;
  const rows = readHistoryFile(dbPath, ip !== undefined ? { ip } : { hwAddr: hw });
  const shown = rows.map((r) => ({
    at: iso(r.atSec),
    ip: formatIpv4(r.ip),
    state: r.state,
    hw_address: macFromHex(r.hwAddr),
    client_id: r.clientId,
    hostname: r.hostname,
    start: iso(r.startSec),
    end: iso(r.endSec),
  }));
  if (atSec !== undefined) {
    // The latest change at or before the moment, per address: active and not yet ended then
    // means that client held it.
    const latest = new Map<number, (typeof rows)[number]>();
    for (const r of rows) if (r.atSec <= atSec) latest.set(r.ip, r);
    const held = [...latest.values()].filter((r) => r.state === "active" && r.endSec > atSec);
    const answer = held.map((r) => ({
      ip: formatIpv4(r.ip),
      hw_address: macFromHex(r.hwAddr),
      client_id: r.clientId,
      hostname: r.hostname,
      since: iso(r.startSec),
      until: iso(r.endSec),
    }));
    if (opts.json) {
      console.log(JSON.stringify({ at: iso(Math.floor(atSec)), held: answer }, null, 2));
    } else if (answer.length === 0) {
      console.log(`${query} at ${iso(Math.floor(atSec))}: no lease was held`);
    } else {
      for (const a of answer) {
        console.log(
          `${a.ip} at ${iso(Math.floor(atSec))}: held by ${a.hw_address || a.client_id}` +
            `${a.hostname ? ` (${a.hostname})` : ""}, leased ${a.since} until ${a.until}`,
        );
      }
    }
    return 0;
  }
  if (opts.json) {
    console.log(JSON.stringify(shown, null, 2));
    return 0;
  }
  const table = shown.map((
    r,
  ) => [r.at, r.ip, r.state, r.hw_address || "-", r.hostname || "-", r.end]);
  printTable(["AT", "ADDRESS", "STATE", "HARDWARE", "HOSTNAME", "ENDS"], table);
  console.log(`${rows.length} change(s) recorded`);
  return 0;
}
