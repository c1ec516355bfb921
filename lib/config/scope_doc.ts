/**
 * The scope tables of a config as written (issue #12 item 2): what a primary sends its
 * secondary over the peer channel, and how the secondary puts them into its own file's values
 * before checking the result like any config. The scopes are [lease], [options], the
 * [[subnet]] tables (pools, exclusions, reservations, options) and the [failover] settings that
 * decide who owns which address (mode, split, reserve_percent): what fingerprint.ts compares.
 * Everything else (identity, addresses, ports, secrets, timers) stays each box's own. Pure.
 */

const TOP = ["lease", "options", "subnet"] as const;
const FAILOVER = ["mode", "split", "reserve_percent"] as const;

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The scope tables of a document (plain TOML values). */
export function scopeDocOf(doc: unknown): Table {
  const d = isTable(doc) ? doc : {};
  const out: Table = {};
  for (const k of TOP) if (d[k] !== undefined) out[k] = d[k];
  const fo = isTable(d.failover) ? d.failover : {};
  const shared: Table = {};
  for (const k of FAILOVER) if (fo[k] !== undefined) shared[k] = fo[k];
  out.failover = shared;
  return out;
}

/** `doc` with its scope tables replaced by `scopes` (absent ones removed: defaults apply). */
export function withScopes(doc: unknown, scopes: unknown): Table {
  const d: Table = { ...(isTable(doc) ? doc : {}) };
  const s = isTable(scopes) ? scopes : {};
  for (const k of TOP) {
    if (s[k] === undefined) delete d[k];
    else d[k] = s[k];
  }
  const fo: Table = { ...(isTable(d.failover) ? d.failover : {}) };
  const shared = isTable(s.failover) ? s.failover : {};
  for (const k of FAILOVER) {
    if (shared[k] === undefined) delete fo[k];
    else fo[k] = shared[k];
  }
  if (isTable(d.failover)) d.failover = fo;
  return d;
}
