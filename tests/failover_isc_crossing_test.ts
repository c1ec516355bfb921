/**
 * Issue #11 item 2, on the real in-process pair (pair_harness.ts) in legacy-peer mode
 * (`partner = "isc-dhcpd"` on both boxes, so each speaks exactly what it speaks to dhcpd): an
 * update of ours the partner never acknowledged, found on disk after a restart, is not sent
 * blindly. The partner's bindings come first (UPDREQ ... UPDDONE); one that crossed ours for
 * the same address is judged by draft-12 §7.1.3, and the result is logged.
 */
import { equal, ok } from "node:assert/strict";
import { parseConfig } from "../lib/config/parse_config.ts";
import type { Config } from "../lib/config/config.ts";
import { parseIpv4 } from "../lib/wire/ipv4.ts";
import { Pair, pairToml } from "./helpers/pair_harness.ts";

function iscConfig(role: "primary" | "secondary"): Config {
  const toml = pairToml(role)
    .replace(/^shared_secret = .*$/m, 'partner = "isc-dhcpd"\nauthentication = "none"')
    .replace(/^receive_timer_ms = .*$/m, "receive_timer_ms = 3000")
    .replace(/^contact_interval_ms = .*$/m, "contact_interval_ms = 1000");
  const r = parseConfig(toml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 2));
  return r.config;
}

Deno.test("ISC mode: after a restart our unacknowledged BACKUP waits for the partner's update, which wins the crossing", async () => {
  const pair = new Pair(iscConfig("primary"), iscConfig("secondary"));
  try {
    const normal = () => pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
    ok(await normal() >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
    // The primary pushes the secondary's BACKUP share unasked (ISC secondaries never ask).
    const backups = () => [...pair.b.store.all()].filter((l) => l.state === "backup").length;
    ok(await pair.until(() => backups() > 0) >= 0, "the secondary never got BACKUP addresses");
    await pair.advance(2000);

    pair.kill("a");
    ok(
      await pair.until(() => pair.b.state === "communications-interrupted", 10_000) >= 0,
      `the secondary did not notice: ${pair.b.state}`,
    );
    const x = await pair.dora(1, 0, "b");
    ok(x !== undefined, "the secondary serves alone from its BACKUP share");
    const ip = parseIpv4(x)!;
    // The primary's disk: x is BACKUP as it last sent it, never acknowledged (the BNDACK was
    // lost with the crash). Sent blindly after the restart, it would try to take the address
    // back from the client the secondary gave it to.
    const onA = pair.a.store.get(ip)!;
    equal(onA.state, "backup");
    pair.a.store.apply([{ kind: "put", lease: { ...onA, pendingUpdate: true } }]);

    pair.restart("a", pair.a.store);
    ok(await normal() >= 0, `NORMAL not reached again: a=${pair.a.state} b=${pair.b.state}`);
    await pair.advance(2000);

    const a = pair.a.store.get(ip)!, b = pair.b.store.get(ip)!;
    equal(a.state, "active", "the primary took the secondary's binding");
    equal(b.state, "active", "the client keeps its address on the secondary");
    equal(a.clientKey, b.clientKey);
    equal(a.pendingUpdate, false, "our stale update is withdrawn, not sent again");
    const crossed = pair.a.log.events.filter((e) => e.event === "failover.update_crossed");
    equal(crossed.length, 1, JSON.stringify(pair.a.log.events.map((e) => e.event)));
    equal(crossed[0]!.props.ours, "backup");
    equal(crossed[0]!.props.theirs, "active");
    // The secondary never saw the stale BACKUP: nothing of ours had to be rejected.
    const rejected = pair.b.log.events.filter((e) => e.event === "failover.bndupd_rejected");
    equal(rejected.length, 0, JSON.stringify(rejected));
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});
