/**
 * `tandem status` in words: the /status document (lib/app/status.ts, failover_boot.ts) and the
 * /readyz verdict turned into lines for a person. Durations are "3 min 12 s", timestamps are
 * local times. Pure apart from the local time zone (the default localTime).
 */

export interface Ready {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export interface FormatOptions {
  /** Epoch seconds to a time for people (default: this machine's local time zone). */
  readonly localTime?: (sec: number) => string;
}

type Doc = Record<string, unknown>;

/** "42 s", "3 min 12 s", "2 h 5 min", "3 d 4 h": the two largest units. */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]] as const;
  const i = units.findIndex(([size]) => s >= size);
  if (i < 0) return "0 s";
  const [size, name] = units[i]!;
  const high = Math.floor(s / size);
  const next = units[i + 1];
  const low = next === undefined ? 0 : Math.floor((s - high * size) / next[0]);
  return low > 0 ? `${high} ${name} ${low} ${next![1]}` : `${high} ${name}`;
}

/** "2026-12-05 09:14:03" in this machine's time zone. */
export function localTime(sec: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const num = (v: unknown): number | undefined => typeof v === "number" ? v : undefined;

export function formatStatus(
  doc: Doc,
  ready: Ready,
  nowMs: number,
  opts: FormatOptions = {},
): string[] {
  const lines = [
    `tandem ${doc.version}, role ${doc.role}, up ${formatDuration(num(doc.uptime_sec) ?? 0)}`,
    ready.ready ? "ready: serving" : `NOT READY: ${ready.reasons.join("; ")}`,
  ];
  const fo = doc.failover as Doc | undefined;
  if (fo !== undefined) lines.push(...failoverLines(fo, nowMs, opts.localTime ?? localTime));
  for (const s of (doc.subnets ?? []) as Doc[]) {
    lines.push(
      `subnet ${s.id} ${s.cidr}: pool ${s.pool_size}, active ${s.active}, free ${s.free}, ` +
        `abandoned ${s.abandoned}, backup ${s.backup}`,
    );
  }
  return lines;
}

function failoverLines(fo: Doc, nowMs: number, time: (sec: number) => string): string[] {
  // Ages count on the server's clock when it says what time it is (a remote --url box).
  const now = num(fo.now_sec) ?? Math.floor(nowMs / 1000);
  const ago = (sec: number) => `${formatDuration(now - sec)} (since ${time(sec)})`;
  const at = (sec: number) =>
    sec > now ? `${time(sec)} (in ${formatDuration(sec - now)})` : `${time(sec)} (passed)`;
  const state = String(fo.state);
  const mclt = formatDuration(num(fo.mclt_sec) ?? 0);
  const lines = [`failover: ${fo.role}, ${fo.mode}, MCLT ${mclt}`];
  const since = num(fo.since_sec);
  lines.push(`state: ${state}${since === undefined ? "" : ` for ${ago(since)}`}`);
  const until = num(fo.recover_wait_until_sec);
  if (state === "recover-wait" && until !== undefined) {
    lines.push(`serves clients from: ${at(until)}, when the MCLT wait of RECOVER-WAIT ends`);
  } else if (state === "recover") {
    lines.push(`recovering: fetching the partner's bindings, then waits up to MCLT (${mclt})`);
  } else if (fo.maintenance === true) {
    lines.push(
      "in maintenance: answers no client, the partner serves alone; `tandem maintenance stop` " +
        "brings it back (RECOVER, then NORMAL)",
    );
  } else if (state === "startup") {
    lines.push(
      "serves nobody until it reaches the partner, or an operator runs `tandem partner-down`",
    );
  }
  const usable = num(fo.partner_pool_usable_sec);
  if (state === "partner-down" && usable !== undefined) {
    lines.push(`partner's free addresses usable from: ${at(usable)} (MCLT after PARTNER-DOWN)`);
  }
  const cut = num(fo.comm_interrupted_since_sec);
  const auto = num(fo.auto_partner_down_sec) ?? 0;
  if (state === "communications-interrupted" && cut !== undefined) {
    lines.push(
      auto > 0
        ? `goes to partner-down at: ${at(cut + auto)} (auto_partner_down_sec)`
        : "stays here until the partner returns or an operator runs `tandem partner-down`",
    );
  }
  lines.push(partnerLine(fo, ago));
  lines.push(`updates to the partner: ${fo.unacked_updates} awaiting ack, ${fo.backlog} queued`);
  const pool = fo.pool as Doc | undefined;
  if (pool !== undefined) lines.push(`pool: ${pool.free} free, ${pool.backup} backup`);
  const cfg = fo.config as Doc | undefined;
  const keys = (cfg?.differs ?? []) as string[];
  const scopes = cfg?.scopes as Doc | undefined;
  const origin = scopes?.from === "primary"
    ? `, scopes from the primary${
      num(scopes.synced_sec) === undefined ? "" : ` (taken ${ago(num(scopes.synced_sec)!)})`
    }`
    : "";
  if (cfg?.match === false) {
    lines.push(
      `config: DIFFERS from the partner's${keys.length > 0 ? `: ${keys.join(", ")}` : ""} ` +
        "(renewals only until the secondary has the primary's scopes)",
    );
  } else if (cfg?.match === true) {
    lines.push(`config: the same as the partner's (version ${cfg.version}${origin})`);
  }
  if (typeof fo.pair_problem === "string") lines.push(`PAIR PROBLEM: ${fo.pair_problem}`);
  for (const r of (fo.relay_coverage ?? []) as Doc[]) {
    const since = num(r.since_sec);
    lines.push(`RELAY: ${r.problem}${since === undefined ? "" : ` (for ${ago(since)})`}`);
  }
  if (fo.partner === "isc-dhcpd") {
    lines.push("partner: ISC dhcpd (legacy-peer mode: the failover link is not authenticated)");
  } else if (fo.authentication === "none" && fo.tls !== "required") {
    lines.push('failover link: NOT authenticated (authentication = "none", no TLS)');
  }
  if (fo.partner_answering_clients === false) {
    lines.push("partner is not answering its clients: this box answers them (see the logs)");
  }
  return lines;
}

function partnerLine(fo: Doc, ago: (sec: number) => string): string {
  const said = String(fo.partner_state);
  const heardMs = num(fo.last_contact_age_ms);
  if (fo.connected === true) {
    const since = num(fo.partner_since_sec);
    return `partner: connected, ${said}${
      since === undefined || since <= 0 ? "" : ` for ${ago(since)}`
    }`;
  }
  if (heardMs === undefined) {
    return said === "unknown"
      ? "partner: never heard from since this start"
      : `partner: not heard from since this start (last said: ${said})`;
  }
  return `partner: not heard from for ${formatDuration(heardMs / 1000)} (last said: ${said})`;
}
