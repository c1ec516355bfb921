/** `tandem leases`: reads the lease database (safe while the server runs: WAL readers). */
import { readLeasesFile } from "../platform/sqlite_store.ts";
import type { Lease } from "../lease/lease.ts";
import { BINDING_STATES, type BindingState } from "../lease/lease.ts";
import { formatIpv4 } from "../wire/ipv4.ts";

export interface LeasesOptions {
  readonly json: boolean;
  readonly state: string | undefined;
}

function iso(sec: number): string {
  return sec > 0 ? new Date(sec * 1000).toISOString().replace(".000Z", "Z") : "-";
}

function mac(hex: string): string {
  return hex.match(/../g)?.join(":") ?? "";
}

export function leaseJson(l: Lease) {
  return {
    ip: formatIpv4(l.ip),
    state: l.state,
    subnet_id: l.subnetId,
    hw_address: mac(l.hwAddr),
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
  try {
    Deno.statSync(dbPath);
  } catch {
    console.error(`tandem leases: no lease database at ${dbPath} (has the server run yet?)`);
    return 1;
  }
  const leases = readLeasesFile(dbPath).filter((l) =>
    opts.state === undefined || l.state === opts.state
  );
  if (opts.json) {
    console.log(JSON.stringify(leases.map(leaseJson), null, 2));
    return 0;
  }
  const rows = leases.map((l) => {
    const j = leaseJson(l);
    return [j.ip, j.state, j.hw_address || "-", j.hostname || "-", j.end];
  });
  const head = ["ADDRESS", "STATE", "HARDWARE", "HOSTNAME", "ENDS"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  console.log(`${leases.length} lease record(s)`);
  return 0;
}
