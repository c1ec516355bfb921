/**
 * The holes a failover review found (issue #8), each as a named test on the real in-process
 * pair (pair_harness.ts: real DhcpServer, write pipeline, reclaim sweep and peers).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { parseConfig } from "../lib/config/parse_config.ts";
import { parseIpv4 } from "../lib/wire/ipv4.ts";
import { Pair, pairToml } from "./helpers/pair_harness.ts";

async function normal(pair: Pair): Promise<void> {
  const t = await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
  ok(t >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
}

async function interrupted(pair: Pair): Promise<void> {
  pair.net.cut();
  const t = await pair.until(
    () =>
      pair.a.state === "communications-interrupted" &&
      pair.b.state === "communications-interrupted",
    5000,
  );
  ok(t >= 0, `no COMMUNICATIONS-INTERRUPTED: a=${pair.a.state} b=${pair.b.state}`);
}

Deno.test("regression: the secondary's expired lease is held alike on both boxes once acked, and a later partition gives it to one client only", async () => {
  const pair = new Pair();
  try {
    await normal(pair);
    await interrupted(pair);
    const x = await pair.dora(1, 0, "b");
    ok(x !== undefined, "the secondary serves alone from its BACKUP share");
    equal(pair.acks.at(-1)!.box, "b");
    pair.net.heal();
    await normal(pair);
    // The lease (MCLT-capped, 60 s) runs out, the sweep marks it EXPIRED, the update is acked.
    await pair.advance(90_000, 200);
    const ip = parseIpv4(x)!;
    const a = pair.a.store.get(ip)!, b = pair.b.store.get(ip)!;
    equal(a.state, b.state, `after the ack: primary ${a.state}, secondary ${b.state}`);
    equal(a.state, "backup", "the secondary's share returns to BACKUP on both (§5.11)");
    deepEqual([a.pendingUpdate, b.pendingUpdate], [false, false]);
    // A later partition: both serve new clients, the old client comes back to the secondary.
    await interrupted(pair);
    for (let c = 2; c <= 90; c++) await pair.dora(c, 0, c % 2 === 0 ? "b" : "a");
    await pair.dora(1, 0, "b");
    const holders = pair.acks.filter((k) => k.ip === x && k.fromMs > pair.acks[0]!.toMs);
    ok(
      holders.every((k) => k.box === "b"),
      `${x} given by the primary: ${JSON.stringify(holders)}`,
    );
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("regression: renewals outside NORMAL never run past max(now, acked potential) + MCLT", async () => {
  const pair = new Pair();
  try {
    await normal(pair);
    const ip = await pair.dora(1);
    ok(ip !== undefined);
    await pair.advance(1000);
    // The partner has acked a potential expiration for this binding.
    const acked = pair.a.store.get(parseIpv4(ip)!)!.ackedPotentialEndSec;
    ok(acked > 0, "potential expiration acked in NORMAL");
    await interrupted(pair);
    const mcltMs = 60_000;
    const before = pair.acks.length;
    for (let i = 0; i < 240; i++) {
      await pair.advance(30_000, 400); // renew every 30 s (T1 of a 60 s lease) for 2 hours
      equal(await pair.renew(1, ip), ip, `renewal ${i}`);
    }
    for (const k of pair.acks.slice(before)) {
      // + 1 s: lease times are whole seconds counted from the box's whole-second now.
      const cap = Math.max(k.fromMs, acked * 1000) + mcltMs + 1000;
      ok(k.toMs <= cap, `renewal at ${k.fromMs} ends ${(k.toMs - cap) / 1000} s past the cap`);
    }
  } finally {
    pair.stop();
  }
});

Deno.test("regression: an ACTIVE lease past its end goes to nobody else before its EXPIRED update is acked", async () => {
  // Two pool addresses, both the primary's (20 % of 2 rounds down to no BACKUP).
  const config = (role: "primary" | "secondary") => {
    const r = parseConfig(
      pairToml(role).replace("192.0.2.10-192.0.2.109", "192.0.2.10-192.0.2.11"),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config;
  };
  const pair = new Pair(config("primary"), config("secondary"));
  try {
    await normal(pair);
    const x = await pair.dora(1);
    const y = await pair.dora(2);
    ok(x !== undefined && y !== undefined && x !== y);
    await pair.advance(1000);
    await interrupted(pair);
    // Client 1's lease (60 s) ends; before the 10 s sweep and long after it, no ack is possible.
    const end = pair.acks[0]!.toMs;
    await pair.advance(end - pair.nowMs + 500, 200);
    equal(await pair.dora(3), undefined, "ended but not swept: not reusable (§5.2.2)");
    await pair.advance(30_000, 400);
    equal(await pair.dora(3), undefined, "swept to EXPIRED, update not acked: still not reusable");
    pair.net.heal();
    await normal(pair);
    await pair.advance(2000);
    const got = await pair.dora(3);
    ok(got !== undefined, "after the ack the primary gives it out again");
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("duplicate checker: overlapping holds of one address are reported, a release ends a hold", () => {
  const pair = new Pair();
  try {
    pair.acks.push({ box: "a", ip: "192.0.2.20", client: 1, fromMs: 0, toMs: 60_000 });
    pair.acks.push({ box: "b", ip: "192.0.2.20", client: 2, fromMs: 30_000, toMs: 90_000 });
    equal(pair.duplicates().length, 1);
    pair.released.push({ ip: "192.0.2.20", client: 1, atMs: 20_000 });
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});

Deno.test("regression: a wiped secondary does not re-issue an address it leased before the wipe", async () => {
  const { MemoryLeaseStore } = await import("../lib/lease/memory_store.ts");
  const pair = new Pair();
  try {
    await normal(pair);
    await interrupted(pair);
    const x = await pair.dora(1, 0, "b");
    ok(x !== undefined);
    const firstEnd = pair.acks[0]!.toMs;
    // The secondary loses its disk before the primary heard of the lease.
    pair.kill("b");
    pair.restart("b", new MemoryLeaseStore());
    pair.net.heal();
    await pair.advance(1000);
    equal(pair.b.state, "recover-wait", "rebuilt from the primary, then the MCLT wait");
    // Then the primary dies: the secondary alone, with no memory of the lease it gave.
    pair.kill("a");
    for (let c = 2; c <= 40; c++) {
      await pair.dora(c, 0, "b");
      await pair.advance(2000, 200);
    }
    const reissued = pair.acks.filter((k) => k.ip === x && k.client !== 1 && k.fromMs < firstEnd);
    equal(reissued.length, 0, `${x} re-issued: ${JSON.stringify(reissued)}`);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("regression: a failed commit of the partner's update is fatal and sends no BNDACK", async () => {
  const pair = new Pair();
  try {
    await normal(pair);
    // The secondary's disk starts failing: every durable write throws from now on.
    const disk = pair.b.store as unknown as { apply: () => void };
    disk.apply = () => {
      throw new Error("EIO: fsync failed");
    };
    const ip = await pair.dora(1);
    ok(ip !== undefined, "the primary answers its client");
    await pair.advance(1000);
    equal(pair.b.log.events.filter((e) => e.event === "store.fatal").length, 1);
    equal(pair.b.alive, false, "the secondary stopped");
    const held = pair.a.store.get(parseIpv4(ip)!)!;
    equal(held.pendingUpdate, true, "no BNDACK reached the primary: the update stays pending");
  } finally {
    pair.stop();
  }
});
