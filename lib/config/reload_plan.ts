/**
 * What a reload may change while serving, and what needs a restart. Pure: two validated
 * Configs in, the keys that differ and the verdict out.
 *
 * Live on every box: authoritative, offer_hold_sec, decline_probation_sec, pool_low_percent,
 * [log] level.
 * Live on a standalone box and on a primary with a Tandem secondary: the scopes too
 * ([[subnet]] with pools, exclusions, reservations and options, [options], [lease]): the next
 * packet is decided with them, leases are left alone (a lease outside the new pools is not
 * renewed and ends at its expiry, RFC 2131 §4.3.2 NAK on the client's next REQUEST); the
 * primary's go to its secondary over the peer channel (issue #12 item 2), both serving
 * renewals only until their fingerprints match again.
 * Never live: what other processes or the store hold (role, server_id, [dhcp], [http],
 * [store], [failover]); the scopes of a secondary (its primary's are in force) and of a pair
 * with an ISC dhcpd partner (nothing carries them: both files, then a restart of each box).
 */
import type { Config } from "./config.ts";

export type ReloadPlan =
  | { readonly ok: true; readonly changed: readonly string[] }
  | { readonly ok: false; readonly changed: readonly string[]; readonly reason: string };

/** TOML names of the Config's top-level parts, for messages. */
const NAMES: Readonly<Record<keyof Config, string>> = {
  role: "role",
  serverId: "server_id",
  dhcp: "[dhcp]",
  authoritative: "authoritative",
  offerHoldSec: "offer_hold_sec",
  declineProbationSec: "decline_probation_sec",
  leaseTimes: "[lease]",
  options: "[options]",
  subnets: "[[subnet]]",
  http: "[http]",
  stateDir: "[store] state_dir",
  poolLowPercent: "pool_low_percent",
  commitWindowMs: "[store] commit_window_ms",
  historyDays: "[store] history_days",
  logLevel: "[log] level",
  failover: "[failover]",
  sourceDoc: "(the file)",
};

const SCOPES: ReadonlySet<keyof Config> = new Set(["leaseTimes", "options", "subnets"]);
const LIVE: ReadonlySet<keyof Config> = new Set([
  "authoritative",
  "offerHoldSec",
  "declineProbationSec",
  "logLevel",
  "poolLowPercent",
]);

export function reloadPlan(current: Config, next: Config): ReloadPlan {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]) as Set<keyof Config>;
  keys.delete("sourceDoc"); // the text behind the values: what changed is in the values
  const differs = [...keys].filter((k) => canonical(current[k]) !== canonical(next[k]));
  const changed = differs.map((k) => k === "subnets" ? subnetChanges(current, next) : [NAMES[k]])
    .flat();
  // Scopes are live where this box decides them: standalone, and a primary whose Tandem
  // secondary takes them over the peer channel (issue #12 item 2). A secondary's come from its
  // primary; with an ISC partner nothing carries them.
  const scopesLive = current.role === "standalone" ||
    (current.role === "primary" && current.failover?.partner === "tandem");
  const fixed = differs.filter((k) => !LIVE.has(k) && !(SCOPES.has(k) && scopesLive));
  if (fixed.length === 0) return { ok: true, changed };
  const scopes = fixed.filter((k) => SCOPES.has(k));
  const restart = fixed.filter((k) => !SCOPES.has(k)).map((k) => NAMES[k]);
  const reasons: string[] = [];
  if (restart.length > 0) {
    reasons.push(`${restart.join(", ")} cannot change while serving: restart to apply`);
  }
  if (scopes.length > 0) {
    reasons.push(
      current.role === "secondary" && current.failover?.partner === "tandem"
        ? `${scopes.map((k) => NAMES[k]).join(", ")} of a secondary come from its primary: ` +
          "change them there (tandem reload on the primary sends them here)"
        : `${scopes.map((k) => NAMES[k]).join(", ")} of a pair with an ISC dhcpd partner ` +
          "change on both boxes: change both files and restart the boxes one at a time",
    );
  }
  return { ok: false, changed, reason: reasons.join("; ") };
}

/** "subnet 2 (10.1.0.0/24) changed", "subnet 3 added", ... by subnet id. */
function subnetChanges(current: Config, next: Config): string[] {
  const before = new Map(current.subnets.map((s) => [s.id, s]));
  const after = new Map(next.subnets.map((s) => [s.id, s]));
  const out: string[] = [];
  for (const [id, s] of after) {
    const old = before.get(id);
    if (old === undefined) out.push(`subnet ${id} added`);
    else if (canonical(old) !== canonical(s)) out.push(`subnet ${id} changed`);
  }
  for (const id of before.keys()) if (!after.has(id)) out.push(`subnet ${id} removed`);
  return out.length > 0 ? out : ["[[subnet]] order"];
}

/** JSON with Maps as entry lists and byte arrays as hex: equal text, equal value. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x instanceof Map) return [...x.entries()];
    if (x instanceof Uint8Array) return [...x].map((b) => b.toString(16).padStart(2, "0")).join("");
    return x;
  }) ?? "undefined";
}
