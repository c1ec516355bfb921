/** Pair behaviours beyond the basic failures: modes, PARTNER-DOWN, config mismatch. */
import { equal, ok } from "node:assert/strict";
import { parseConfig } from "../lib/config/parse_config.ts";
import { Pair, pairConfig, pairToml } from "./helpers/pair_harness.ts";

async function reachNormal(pair: Pair): Promise<void> {
  const t = await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
  ok(t >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
}

Deno.test("pair: automatic PARTNER-DOWN after the safe period; partner's addresses only after MCLT", async () => {
  const extra = "auto_partner_down_sec = 5";
  const pair = new Pair(pairConfig("primary", extra), pairConfig("secondary", extra));
  try {
    await reachNormal(pair);
    pair.kill("a");
    await pair.until(() => pair.b.state === "communications-interrupted", 2000);
    // Exhaust the secondary's own BACKUP share (20 of 100 addresses).
    let served = 0;
    for (let c = 1; c <= 30; c++) if ((await pair.dora(c)) !== undefined) served++;
    equal(served, 20, "in COMMUNICATIONS-INTERRUPTED only the BACKUP share is usable");
    const t = await pair.until(() => pair.b.state === "partner-down", 10_000);
    ok(t >= 0 && t <= 6000, `PARTNER-DOWN after ${t} ms`);
    equal(await pair.dora(31), undefined, "the primary's FREE addresses wait for MCLT (60 s)");
    await pair.advance(61_000, 500);
    ok((await pair.dora(32)) !== undefined, "after MCLT the whole pool is usable");
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});

Deno.test("pair: operator partner-down moves a COMMUNICATIONS-INTERRUPTED box at once", async () => {
  const pair = new Pair();
  try {
    await reachNormal(pair);
    pair.net.cut();
    await pair.until(() => pair.b.state === "communications-interrupted", 2000);
    const r = pair.b.parts.peer.partnerDown();
    ok(r.ok, r.message);
    equal(pair.b.state, "partner-down");
    equal(pair.a.parts.peer.partnerDown().ok, true);
    // Both in PARTNER-DOWN (operator error): reconnection must resolve it, never duplicate.
    for (let c = 1; c <= 10; c++) await pair.dora(c, 0, c % 2 === 0 ? "b" : "a");
    pair.net.heal();
    const t = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      30_000,
    );
    ok(t >= 0, `after double partner-down: a=${pair.a.state} b=${pair.b.state}`);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: load-balancing splits new clients by the RFC 3074 hash", async () => {
  const extra = 'mode = "load-balancing"\nsplit = 128';
  const toml = (role: "primary" | "secondary") =>
    pairToml(role).replace('mode = "hot-standby"', extra);
  const cfg = (role: "primary" | "secondary") => {
    const r = parseConfig(toml(role));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config;
  };
  const pair = new Pair(cfg("primary"), cfg("secondary"));
  try {
    await reachNormal(pair);
    for (let c = 1; c <= 60; c++) ok((await pair.dora(c)) !== undefined, `client ${c}`);
    const byBox = { a: 0, b: 0 };
    for (const a of pair.acks) byBox[a.box as "a" | "b"]++;
    ok(byBox.a > 10 && byBox.b > 10, `split ${JSON.stringify(byBox)}`);
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});

Deno.test("pair: a partner that does not answer its clients is noticed (secs rising)", async () => {
  const pair = new Pair();
  try {
    await reachNormal(pair);
    // The primary is "connected but deaf": model it by asking only the secondary.
    const b = pair.b;
    pair.a.alive = false;
    equal(await pair.dora(1, 0), undefined, "secs 0: the secondary leaves it to the primary");
    ok(
      (await pair.dora(1, 10)) !== undefined,
      "secs 10 > load_balance_max_secs: the secondary answers",
    );
    const status = b.parts.status();
    equal(status.partner_answering_clients, false);
    ok(b.registry.render().includes("tandem_failover_partner_unanswered_clients_total"));
    pair.a.alive = true;
  } finally {
    pair.stop();
  }
});

for (
  const [name, a, b, words] of [
    [
      "both primary",
      pairToml("primary"),
      pairToml("primary").replace(
        /server_id = "10.0.0.1"\nmy_address = "10.0.0.1"/,
        'server_id = "10.0.0.2"',
      ).replace('my_address = "10.0.0.1"', 'my_address = "10.0.0.2"').replace(
        'partner_address = "10.0.0.2"',
        'partner_address = "10.0.0.1"',
      ),
      'set role = "secondary" on one',
    ],
    [
      "both secondary",
      pairToml("secondary").replace(
        /server_id = "10.0.0.2"/,
        'server_id = "10.0.0.1"',
      ).replace('my_address = "10.0.0.2"', 'my_address = "10.0.0.1"').replace(
        'partner_address = "10.0.0.1"',
        'partner_address = "10.0.0.2"',
      ),
      pairToml("secondary"),
      'set role = "primary" on one',
    ],
    [
      "one server id",
      pairToml("primary"),
      pairToml("secondary").replace('server_id = "10.0.0.2"', 'server_id = "10.0.0.1"'),
      "same server_id 10.0.0.1",
    ],
  ] as const
) {
  Deno.test(`pair: an unsafe pair is refused (${name}): no NORMAL, said in words, no new clients`, async () => {
    const parse = (t: string) => {
      const r = parseConfig(t);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.config;
    };
    const pair = new Pair(parse(a), parse(b));
    try {
      await pair.advance(10_000);
      for (const box of [pair.a, pair.b]) {
        ok(box.state !== "normal", `${box.name} reached NORMAL`);
        const refused = box.log.events.find((e) => e.event === "failover.pair_refused");
        ok(
          String(refused?.props.problem ?? "").includes(words),
          `${box.name}: ${refused?.props.problem}`,
        );
        const ready = box.parts.ready();
        equal(ready.ready, false);
        ok(ready.reasons.some((r) => r.includes(words)), ready.reasons.join());
        equal(box.parts.scope().answers(new Uint8Array([1, 2, 3]), 99, "new"), false);
        ok(/tandem_failover_pair_refused_total [1-9]/.test(box.registry.render()));
      }
    } finally {
      pair.stop();
    }
  });
}

Deno.test("pair: different scopes are synced: the secondary takes the primary's and the pair serves", async () => {
  const parse = (t: string) => {
    const r = parseConfig(t);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config;
  };
  const secondaryFile = pairToml("secondary")
    .replace("192.0.2.10-192.0.2.109", "192.0.2.10-192.0.2.119")
    .replace("default_sec = 600", "default_sec = 900");
  const pair = new Pair(parse(pairToml("primary")), parse(secondaryFile));
  try {
    await reachNormal(pair);
    const synced = pair.b.log.events.find((e) => e.event === "failover.scopes_synced");
    ok(synced !== undefined, pair.b.log.events.map((e) => e.event).join());
    ok(
      String(synced.props.keys).includes("subnets[0].pools[0].ranges[0][1]"),
      String(synced.props.keys),
    );
    ok(String(synced.props.keys).includes("leaseTimes.defaultSec"), String(synced.props.keys));
    equal((pair.b.parts.status().config as { match: boolean }).match, true);
    // The primary said which keys differed too, while they did.
    const differ = pair.a.log.events.find((e) => e.event === "failover.scopes_differ");
    ok(String(differ?.props.keys).includes("leaseTimes.defaultSec"), String(differ?.props.keys));
    ok(pair.b.store.meta("failover.partner_scopes") !== undefined, "stored for a restart");
    for (let c = 1; c <= 20; c++) ok((await pair.dora(c)) !== undefined, `client ${c}`);
    ok(pair.acks.every((k) => Number(k.ip.split(".")[3]) <= 109), JSON.stringify(pair.acks));
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});
