import { deepEqual, equal, match, ok } from "node:assert/strict";
import { formatDuration, formatStatus, localTime } from "./status_format.ts";

const T = 1_800_000_000; // a fixed "now" in epoch seconds
const utc = (sec: number) => new Date(sec * 1000).toISOString().slice(11, 19);
const SUBNET = {
  id: 1,
  cidr: "192.0.2.0/24",
  pool_size: 100,
  active: 3,
  free: 97,
  abandoned: 0,
  backup: 0,
};
const READY = { ready: true, reasons: [] };

function doc(failover: Record<string, unknown>) {
  return {
    role: "primary",
    version: "1.2.3",
    uptime_sec: 3725,
    subnets: [SUBNET],
    failover: {
      role: "primary",
      mode: "hot-standby",
      state: "normal",
      since_sec: T - 192,
      partner_state: "normal",
      partner_since_sec: T - 600,
      connected: true,
      partner_answering_clients: true,
      last_contact_age_ms: 150,
      unacked_updates: 2,
      backlog: 5,
      mclt_sec: 300,
      now_sec: T,
      recover_wait_until_sec: null,
      partner_down_since_sec: null,
      partner_pool_usable_sec: null,
      comm_interrupted_since_sec: null,
      auto_partner_down_sec: 0,
      pair_problem: null,
      pool: { free: 90, backup: 10 },
      config: {
        fingerprint: "a",
        partner_fingerprint: "a",
        match: true,
        version: "0a1b2c3d",
        scopes: { from: "file", synced_sec: null },
      },
      ...failover,
    },
  };
}

Deno.test("formatDuration: the two largest units", () => {
  equal(formatDuration(0), "0 s");
  equal(formatDuration(42), "42 s");
  equal(formatDuration(192), "3 min 12 s");
  equal(formatDuration(3600), "1 h");
  equal(formatDuration(3725), "1 h 2 min");
  equal(formatDuration(3 * 86400 + 4 * 3600 + 59), "3 d 4 h");
  equal(formatDuration(-5), "0 s");
});

Deno.test("status: normal pair in words, local times, no epoch seconds", () => {
  const lines = formatStatus(doc({}), READY, T * 1000, { localTime: utc });
  deepEqual(lines, [
    "tandem 1.2.3, role primary, up 1 h 2 min",
    "ready: serving",
    "failover: primary, hot-standby, MCLT 5 min",
    `state: normal for 3 min 12 s (since ${utc(T - 192)})`,
    `partner: connected, normal for 10 min (since ${utc(T - 600)})`,
    "updates to the partner: 2 awaiting ack, 5 queued",
    "pool: 90 free, 10 backup",
    "config: the same as the partner's (version 0a1b2c3d)",
    "subnet 1 192.0.2.0/24: pool 100, active 3, free 97, abandoned 0, backup 0",
  ]);
  for (const l of lines) ok(!l.includes(String(T - 192)), l);
});

Deno.test("status: a silent partner is 'not heard from for N s (last said: S)'", () => {
  const lines = formatStatus(
    doc({
      state: "communications-interrupted",
      connected: false,
      last_contact_age_ms: 42_400,
      comm_interrupted_since_sec: T - 41,
      auto_partner_down_sec: 600,
    }),
    READY,
    T * 1000,
    { localTime: utc },
  );
  ok(lines.includes("partner: not heard from for 42 s (last said: normal)"), lines.join("\n"));
  ok(
    lines.includes(
      `goes to partner-down at: ${utc(T + 559)} (in 9 min 19 s) (auto_partner_down_sec)`,
    ),
    lines.join("\n"),
  );
  ok(!lines.some((l) => l.startsWith("partner_state")));
  const never = formatStatus(
    doc({
      state: "startup",
      connected: false,
      last_contact_age_ms: null,
      partner_state: "unknown",
    }),
    { ready: false, reasons: ["failover state startup serves no clients"] },
    T * 1000,
    { localTime: utc },
  );
  ok(never.includes("NOT READY: failover state startup serves no clients"));
  ok(never.includes("partner: never heard from since this start"), never.join("\n"));
});

Deno.test("status: RECOVER-WAIT says when this box starts serving", () => {
  const lines = formatStatus(
    doc({ state: "recover-wait", since_sec: T - 57, recover_wait_until_sec: T + 243 }),
    { ready: false, reasons: ["failover state recover-wait serves no clients"] },
    T * 1000,
    { localTime: utc },
  );
  ok(
    lines.includes(
      `serves clients from: ${
        utc(T + 243)
      } (in 4 min 3 s), when the MCLT wait of RECOVER-WAIT ends`,
    ),
    lines.join("\n"),
  );
});

Deno.test("status: PARTNER-DOWN says when the partner's addresses become usable", () => {
  const lines = formatStatus(
    doc({
      state: "partner-down",
      connected: false,
      last_contact_age_ms: 3_700_000,
      partner_state: "communications-interrupted",
      partner_down_since_sec: T - 100,
      partner_pool_usable_sec: T + 200,
    }),
    READY,
    T * 1000,
    { localTime: utc },
  );
  const text = lines.join("\n");
  match(
    text,
    new RegExp(`partner's free addresses usable from: ${utc(T + 200)} \\(in 3 min 20 s\\)`),
  );
  match(text, /partner: not heard from for 1 h 1 min \(last said: communications-interrupted\)/);
});

Deno.test("status: standalone, no now_sec in the document: the caller's clock", () => {
  const lines = formatStatus(
    { role: "standalone", version: "1.2.3", uptime_sec: 5, subnets: [SUBNET] },
    READY,
    T * 1000,
  );
  equal(lines.length, 3);
  equal(lines[0], "tandem 1.2.3, role standalone, up 5 s");
  const { now_sec: _, ...noNow } = doc({}).failover;
  const withoutNow = formatStatus(
    { ...doc({}), failover: noNow },
    READY,
    (T + 60) * 1000,
    { localTime: utc },
  );
  ok(withoutNow.some((l) => l.startsWith("state: normal for 4 min 12 s")), withoutNow.join("\n"));
  match(localTime(T), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
});

Deno.test("status: an unauthenticated failover link is said plainly", () => {
  const say = (f: Record<string, unknown>) =>
    formatStatus(doc(f), READY, T * 1000, { localTime: utc }).join("\n");
  match(
    say({ partner: "isc-dhcpd", authentication: "none" }),
    /partner: ISC dhcpd \(legacy-peer mode: the failover link is not authenticated\)/,
  );
  match(say({ partner: "tandem", authentication: "none", tls: "off" }), /NOT authenticated/);
  equal(say({ partner: "tandem", authentication: "hmac" }).includes("authenticated"), false);
});

Deno.test("status: different scopes name the keys; a relay with one helper is said", () => {
  const lines = formatStatus(
    doc({
      config: {
        fingerprint: "a",
        partner_fingerprint: "b",
        match: false,
        differs: ["subnets[0].pools[0].ranges[0][1]"],
      },
      relay_coverage: [{
        relay: "10.20.0.9",
        subnet: 1,
        heard_by: "this box",
        since_sec: T - 400,
        problem: "relay 10.20.0.9 (subnet 1) forwards to this box only: add the partner",
      }],
    }),
    READY,
    T * 1000,
    { localTime: utc },
  );
  ok(
    lines.includes(
      "config: DIFFERS from the partner's: subnets[0].pools[0].ranges[0][1] (renewals only " +
        "until the secondary has the primary's scopes)",
    ),
    lines.join("\n"),
  );
  ok(
    lines.some((l) => l.startsWith("RELAY: relay 10.20.0.9 (subnet 1) forwards to this box only")),
  );
});
