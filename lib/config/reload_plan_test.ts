import { deepEqual, equal, match } from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";
import { reloadPlan } from "./reload_plan.ts";
import type { Config } from "./config.ts";

const BASE = `server_id = "192.0.2.1"
[options]
domain-name-servers = ["192.0.2.53"]
[[subnet]]
id = 1
cidr = "192.0.2.0/24"
[[subnet.pool]]
range = "192.0.2.10-192.0.2.99"
`;

const FAILOVER = `[failover]
my_address = "192.0.2.1"
partner_address = "192.0.2.2"
shared_secret = "0123456789abcdef0123"
`;

const pair = (base: string, top = "") => `role = "primary"\n${top}${base}${FAILOVER}`;

function cfg(text: string): Config {
  const r = parseConfig(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

Deno.test("reloadPlan: scopes and serving knobs change live on a standalone box", () => {
  const a = cfg(BASE);
  deepEqual(reloadPlan(a, cfg(BASE)), { ok: true, changed: [] });
  const b = cfg(
    BASE.replace("192.0.2.53", "192.0.2.54").replace("192.0.2.99", "192.0.2.120") +
      `[[subnet]]\nid = 2\ncidr = "198.51.100.0/24"\n` + `[log]\nlevel = "debug"\n`,
  );
  const plan = reloadPlan(a, b);
  equal(plan.ok, true);
  deepEqual(plan.changed, ["[options]", "subnet 1 changed", "subnet 2 added", "[log] level"]);
  deepEqual(reloadPlan(b, a).changed.includes("subnet 2 removed"), true);
});

Deno.test("reloadPlan: listeners, identity and store settings need a restart", () => {
  const a = cfg(BASE);
  const b = cfg(
    BASE.replace('server_id = "192.0.2.1"', 'server_id = "192.0.2.5"\n[dhcp]\nport = 1067'),
  );
  const plan = reloadPlan(a, b);
  equal(plan.ok, false);
  if (!plan.ok) match(plan.reason, /server_id, \[dhcp\] cannot change while serving: restart/);
  const c = cfg(BASE + `[store]\ncommit_window_ms = 5\n`);
  equal(reloadPlan(a, c).ok, false);
});

Deno.test("reloadPlan: a pair box takes serving knobs live; scopes on a Tandem primary only", () => {
  const a = cfg(pair(BASE));
  const knob = cfg(pair(BASE, "offer_hold_sec = 10\n"));
  deepEqual(reloadPlan(a, knob), { ok: true, changed: ["offer_hold_sec"] });
  // A primary's scopes change live and go to its secondary (issue #12 item 2).
  const scope = reloadPlan(a, cfg(pair(BASE.replace("192.0.2.53", "192.0.2.54"))));
  deepEqual(scope, { ok: true, changed: ["[options]"] });
  // A secondary's come from its primary.
  const secondary = (t: string) => t.replace('role = "primary"', 'role = "secondary"');
  const s = reloadPlan(
    cfg(secondary(pair(BASE))),
    cfg(secondary(pair(BASE.replace("192.0.2.53", "192.0.2.54")))),
  );
  equal(s.ok, false);
  if (!s.ok) match(s.reason, /\[options\] of a secondary come from its primary/);
  // With an ISC dhcpd partner nothing carries them: both files, then restarts.
  const isc = (t: string) =>
    t.replace(
      /shared_secret = .*\n/,
      'partner = "isc-dhcpd"\nauthentication = "none"\nreceive_timer_ms = 3000\n',
    );
  const i = reloadPlan(
    cfg(isc(pair(BASE))),
    cfg(isc(pair(BASE.replace("192.0.2.53", "192.0.2.54")))),
  );
  equal(i.ok, false);
  if (!i.ok) match(i.reason, /ISC dhcpd partner change on both boxes/);
});
