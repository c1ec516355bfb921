import { equal, notEqual, ok } from "node:assert/strict";
import { Pair } from "./helpers/pair_harness.ts";
import { parseIpv4 } from "../lib/wire/ipv4.ts";

Deno.test("pair: fresh boxes reach NORMAL; primary serves, secondary gets every binding", async () => {
  const pair = new Pair();
  try {
    const t = await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
    ok(t >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
    for (let c = 1; c <= 20; c++) ok((await pair.dora(c)) !== undefined, `client ${c} served`);
    equal(new Set(pair.acks.map((a) => a.box)).size, 1, "hot-standby: one box answers");
    equal(pair.acks[0]!.box, "a");
    await pair.advance(500);
    equal(pair.b.activeLeases().length, 20, "every lease replicated to the secondary");
    equal(pair.duplicates().length, 0);
  } finally {
    pair.stop();
  }
});

async function normalPair(): Promise<Pair> {
  const pair = new Pair();
  const t = await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal");
  ok(t >= 0, `NORMAL not reached: a=${pair.a.state} b=${pair.b.state}`);
  return pair;
}

Deno.test("pair: primary crash -> secondary serves a new client within 1 s, from its own pool", async () => {
  const pair = await normalPair();
  try {
    for (let c = 1; c <= 10; c++) await pair.dora(c);
    await pair.advance(300);
    pair.kill("a");
    // A new client keeps asking (real clients retransmit); measure until one is served.
    const t = await pair.until(async () => (await pair.dora(100)) !== undefined, 5000, 20);
    ok(t >= 0 && t < 1000, `takeover took ${t} ms`);
    equal(pair.b.state, "communications-interrupted");
    const ack = pair.acks.at(-1)!;
    equal(ack.box, "b");
    // The secondary allocates new clients only from BACKUP (the last 20% of the pool).
    const ackIp = parseIpv4(ack.ip)!;
    equal(pair.b.parts.scope().defaultState(ackIp, 1), "backup", `${ack.ip} is not BACKUP`);
    // Existing clients renew with the survivor (REBINDING reaches it through the relay).
    const first = pair.acks.find((a) => a.client === 1)!;
    equal(await pair.renew(1, first.ip), first.ip);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: a silent partner (partition, no FIN) is noticed within 1 s", async () => {
  const pair = await normalPair();
  try {
    pair.net.cut();
    const t = await pair.until(
      () =>
        pair.a.state === "communications-interrupted" &&
        pair.b.state === "communications-interrupted",
      5000,
      20,
    );
    ok(t >= 0 && t <= 1000, `detection took ${t} ms`);
    // Both answer new clients, each from its own pool: never the same address.
    // The relay reaches both boxes; half the clients take the secondary's offer.
    for (let c = 1; c <= 60; c++) {
      ok((await pair.dora(c, 0, c % 2 === 0 ? "b" : "a")) !== undefined, `client ${c} served`);
    }
    pair.net.heal();
    const back = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      30_000,
    );
    ok(back >= 0, `no NORMAL after heal: a=${pair.a.state} b=${pair.b.state}`);
    await pair.advance(1000);
    const aLeases = new Map(pair.a.activeLeases().map((l) => [l.ip, l.clientKey]));
    for (const l of pair.b.activeLeases()) {
      const other = aLeases.get(l.ip);
      ok(other === undefined || other === l.clientKey, `address ${l.ip} has two holders`);
    }
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: asymmetric partition and a flapping link cause no duplicates and little churn", async () => {
  const pair = await normalPair();
  try {
    pair.net.cutOneWay("a");
    await pair.advance(1500);
    for (let c = 1; c <= 20; c++) await pair.dora(c, 0, c % 2 === 0 ? "b" : "a");
    pair.net.heal();
    await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal", 30_000);
    const before = pair.a.log.events.filter((e) => e.event === "failover.transition").length;
    for (let i = 0; i < 20; i++) {
      pair.net.cut();
      await pair.advance(300);
      await pair.dora(100 + i);
      pair.net.heal();
      await pair.advance(300);
    }
    const after = pair.a.log.events.filter((e) => e.event === "failover.transition").length;
    // Cuts shorter than the receive timer (800 ms) are not state changes at all.
    ok(after - before <= 4, `flapping caused ${after - before} transitions`);
    await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal", 30_000);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: clock skew of minutes is corrected, and leases stay single-holder", async () => {
  const pair = await normalPair();
  try {
    // The secondary starts with its clock four minutes ahead (a box takes the system time at
    // its start; a step while it runs moves nothing, see the next test but one).
    pair.kill("b");
    pair.skew("b", 4 * 60_000);
    pair.restart("b", pair.b.store);
    pair.net.cut();
    await pair.advance(1200);
    pair.net.heal();
    const back = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      30_000,
    );
    ok(back >= 0, `no NORMAL with skew: a=${pair.a.state} b=${pair.b.state}`);
    for (let c = 1; c <= 20; c++) await pair.dora(c);
    await pair.advance(500);
    // The secondary stores the primary's times corrected to its own clock (§7.8.2 step 6).
    for (const l of pair.b.activeLeases()) {
      const a = pair.a.store.get(l.ip)!;
      ok(Math.abs(l.endSec - (a.endSec + 240)) <= 2, `end ${l.endSec} vs ${a.endSec}+240`);
    }
    pair.net.cut();
    await pair.advance(1000);
    for (let c = 21; c <= 40; c++) await pair.dora(c, 0, c % 2 === 0 ? "b" : "a");
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: restart and disk loss are rebuilt from the partner", async () => {
  const { MemoryLeaseStore } = await import("../lib/lease/memory_store.ts");
  const pair = await normalPair();
  try {
    for (let c = 1; c <= 15; c++) await pair.dora(c);
    await pair.advance(500);
    const keptA = pair.a.store;
    pair.kill("a");
    await pair.until(() => pair.b.state === "communications-interrupted", 2000);
    for (let c = 16; c <= 25; c++) {
      ok((await pair.dora(c)) !== undefined, `client ${c} served by b`);
    }
    await pair.advance(2000);
    pair.restart("a", keptA);
    const t = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      60_000,
    );
    ok(t >= 0, `restart: a=${pair.a.state} b=${pair.b.state}`);
    await pair.advance(500);
    equal(pair.a.activeLeases().length, 25, "primary learned the leases given while it was down");
    // Disk loss on the secondary: an empty store, everything comes back by UPDREQALL.
    pair.kill("b");
    await pair.advance(1000);
    pair.restart("b", new MemoryLeaseStore());
    // Rebuilt by UPDREQALL at once, but it serves only after MCLT (60 s) in RECOVER-WAIT: it
    // cannot know what it handed out before the loss (§9.3.2 step 1, §9.6.2).
    const rebuilt = await pair.until(() => pair.b.state === "recover-wait", 5000);
    ok(rebuilt >= 0, `disk loss: b=${pair.b.state}`);
    equal(pair.b.activeLeases().length, 25, "secondary rebuilt from the primary");
    const t2 = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      90_000,
    );
    ok(t2 >= 0, `disk loss: a=${pair.a.state} b=${pair.b.state}`);
    ok(rebuilt + t2 >= 59_000, `NORMAL after ${rebuilt + t2} ms, before the MCLT wait`);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: POOLREQ refills the secondary's BACKUP reserve after it was used up (§7.7)", async () => {
  const pair = await normalPair();
  try {
    const keptA = pair.a.store;
    pair.kill("a");
    await pair.until(() => pair.b.state === "communications-interrupted", 2000);
    // Alone, the secondary serves new clients from its reserve (20 of the 100 addresses)
    // until it is gone.
    let served = 0;
    for (let c = 1; c <= 25; c++) if ((await pair.dora(c)) !== undefined) served++;
    equal(served, 20, "the whole default reserve, and no more");
    const backupOf = (box: typeof pair.a) =>
      [...box.store.all()].filter((l) => l.state === "backup").length;
    pair.restart("a", keptA);
    const t = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      60_000,
    );
    ok(t >= 0, `back to NORMAL: a=${pair.a.state} b=${pair.b.state}`);
    // Entering NORMAL the secondary sent POOLREQ; the primary moved 20% of its 80 FREE.
    ok(await pair.until(() => backupOf(pair.b) === 16, 5000) >= 0, `b has ${backupOf(pair.b)}`);
    equal(backupOf(pair.a), 16, "both boxes record the same moves");
    // The refilled reserve serves new clients the next time the secondary is alone.
    pair.kill("a");
    await pair.until(() => pair.b.state === "communications-interrupted", 2000);
    let again = 0;
    for (let c = 100; c <= 120; c++) if ((await pair.dora(c)) !== undefined) again++;
    equal(again, 16);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: a wall-clock step of an hour moves no time while running; a restart takes it", async () => {
  const pair = await normalPair();
  try {
    const transitions = () => pair.a.log.events.filter((e) => e.event === "failover.transition");
    const offsets = () => pair.b.log.events.filter((e) => e.event === "failover.clock_offset");
    const before = transitions().length;
    const offsetsBefore = offsets().length;
    const aBefore = pair.a.nowSec();
    pair.skew("a", 3_600_000); // NTP steps the primary's clock an hour ahead
    await pair.advance(5000);
    equal(pair.a.state, "normal");
    equal(pair.b.state, "normal");
    equal(transitions().length, before, "no transition from a wall-clock step");
    equal(pair.a.log.events.filter((e) => e.event === "failover.link_down").length, 0);
    // The primary keeps its time base (SteadyClock): 5 s passed, not an hour and 5 s.
    ok(Math.abs(pair.a.nowSec() - aBefore - 5) <= 1, `a moved ${pair.a.nowSec() - aBefore} s`);
    equal(pair.a.clock.systemOffsetMs(), 3_600_000);
    equal(offsets().length, offsetsBefore, "the secondary saw no new offset");
    const ip = await pair.dora(1);
    await pair.advance(500);
    const early = pair.b.store.get(parseIpv4(ip!)!)!;
    ok(Math.abs(early.endSec - pair.a.store.get(early.ip)!.endSec) <= 1, "one time base");

    // A restart takes the system time: an hour off is beyond max_clock_skew_sec (600), so the
    // pair refuses the connection (draft §5.10) instead of mixing two time bases.
    pair.kill("a");
    pair.restart("a", pair.a.store);
    await pair.advance(3000);
    const rejected = [...pair.a.log.events, ...pair.b.log.events]
      .filter((e) => e.event === "failover.connect_rejected")
      .map((e) => Math.abs(Number(e.props.skewSec)));
    ok(rejected.some((s) => Math.abs(s - 3600) <= 2), `rejections: ${rejected.join(", ")}`);
    notEqual(pair.a.state, "normal");
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: partner-down on a real primary in NORMAL -> POTENTIAL-CONFLICT on both, then NORMAL (§9.8.4, §9.4.3, §9.10)", async () => {
  const pair = await normalPair();
  try {
    for (let c = 1; c <= 6; c++) await pair.dora(c);
    await pair.advance(300);
    const res = pair.a.parts.peer.partnerDown(); // the operator, on the primary (§9.8.4)
    ok(res.ok && /potential-conflict/.test(res.message), res.message);
    const t = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      10_000,
    );
    ok(t >= 0, `stuck: a=${pair.a.state} b=${pair.b.state}`);
    const path = pair.b.log.events.filter((e) => e.event === "failover.transition")
      .map((e) => `${e.props.from}->${e.props.to}`);
    ok(path.includes("normal->potential-conflict"), `the secondary's path: ${path.join(", ")}`);
    ok((await pair.dora(50)) !== undefined);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: a real primary's STATE PARTNER-DOWN after a partition -> secondary POTENTIAL-CONFLICT -> both NORMAL, no duplicate (§9.9.3, §9.10)", async () => {
  const pair = await normalPair();
  try {
    for (let c = 1; c <= 6; c++) await pair.dora(c);
    await pair.advance(300);
    pair.net.cut();
    await pair.until(
      () =>
        pair.a.state === "communications-interrupted" &&
        pair.b.state === "communications-interrupted",
      5000,
    );
    const res = pair.a.parts.peer.partnerDown();
    ok(res.ok, res.message);
    equal(pair.a.state, "partner-down");
    for (let c = 10; c <= 14; c++) await pair.dora(c); // both serve meanwhile
    await pair.advance(200);
    for (let c = 20; c <= 24; c++) await pair.dora(c, 0, "b");
    pair.net.heal();
    const t = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      20_000,
    );
    ok(t >= 0, `stuck: a=${pair.a.state} b=${pair.b.state}`);
    const path = pair.b.log.events.filter((e) => e.event === "failover.transition")
      .map((e) => `${e.props.from}->${e.props.to}`);
    ok(
      path.includes("communications-interrupted->potential-conflict"),
      `the secondary's path: ${path.join(", ")}`,
    );
    ok((await pair.dora(60)) !== undefined);
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});

Deno.test("pair: planned stop of the primary (SIGTERM, §9.14): SHUTDOWN first, the secondary takes over at once; restart comes back through RECOVER to NORMAL", async () => {
  const pair = await normalPair();
  try {
    for (let c = 1; c <= 5; c++) await pair.dora(c);
    await pair.advance(300);
    let result: string | undefined;
    void pair.a.parts.peer.handover(3000).then((r) => (result = r));
    // The partner hears of it at once, not after its receive timer (800 ms here).
    const t = await pair.until(() => pair.b.state === "partner-down", 2000, 10);
    ok(t >= 0 && t < 200, `PARTNER-DOWN ${t} ms after the handover began`);
    await pair.until(() => result !== undefined, 4000, 10);
    ok(/shutdown .*acknowledged.*serves alone/.test(result ?? ""), result);
    equal(pair.a.state, "shutdown");
    // §9.14.2: the primary will restart in RECOVER (its partner went PARTNER-DOWN).
    equal(pair.a.parts.peer.snapshot.previousState, "recover");
    pair.kill("a"); // the process exits
    // The secondary serves a new client at once, from its own reserve.
    const ip = await pair.dora(100, 0, "b");
    ok(ip !== undefined, "the secondary served a new client");
    // The primary comes back: RECOVER, then NORMAL with the secondary's leases.
    pair.restart("a", pair.a.store);
    const back = await pair.until(
      () => pair.a.state === "normal" && pair.b.state === "normal",
      180_000,
      500,
    );
    ok(back >= 0, `a=${pair.a.state} b=${pair.b.state}`);
    ok(pair.a.store.get(parseIpv4(ip!)!) !== undefined, "the primary learned the new lease");
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});
