/**
 * Seeded random schedules over a real in-process pair (pair_harness.ts): clients come, renew,
 * rebind (renewals go to both boxes through the relay), release, decline and go away while boxes crash, restart, lose their disk, lose the link (both
 * ways or one), step their clocks, and the operator declares a dead partner down. After every
 * schedule the duplicate checker runs over what the clients were told and over both boxes'
 * lease histories. A seed replays exactly: everything runs on manual clocks and microtasks.
 */
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import { Pair } from "./pair_harness.ts";
import { prng } from "./packet_fuzzer.ts";

export type Step =
  | {
    readonly k: "dora";
    readonly client: number;
    readonly prefer: "a" | "b";
    readonly secs: number;
  }
  | { readonly k: "renew"; readonly client: number }
  | { readonly k: "release"; readonly client: number }
  | { readonly k: "decline"; readonly client: number }
  | { readonly k: "advance"; readonly ms: number }
  | { readonly k: "kill"; readonly box: "a" | "b" }
  | { readonly k: "restart"; readonly box: "a" | "b" }
  | { readonly k: "wipe"; readonly box: "a" | "b" }
  | { readonly k: "cut" }
  | { readonly k: "cut-one-way"; readonly box: "a" | "b" }
  | { readonly k: "heal" }
  | { readonly k: "skew"; readonly box: "a" | "b"; readonly ms: number }
  | { readonly k: "partner-down"; readonly box: "a" | "b" };

const CLIENTS = 40;

/** The steps of schedule `seed` (pure: the same seed gives the same steps). */
export function makeSchedule(seed: number, length: number): Step[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const box = () => pick(["a", "b"] as const);
  const steps: Step[] = [];
  for (let i = 0; i < length; i++) {
    const x = r();
    const client = 1 + Math.floor(r() * CLIENTS);
    if (x < 0.28) steps.push({ k: "dora", client, prefer: box(), secs: pick([0, 0, 0, 30]) });
    else if (x < 0.40) steps.push({ k: "renew", client });
    else if (x < 0.44) steps.push({ k: "release", client });
    else if (x < 0.46) steps.push({ k: "decline", client });
    else if (x < 0.62) {
      // Short steps (detection, sync) and long ones (leases of 60 s to 10 min run out).
      steps.push({ k: "advance", ms: pick([300, 1000, 3000, 20_000, 70_000, 200_000]) });
    } else if (x < 0.68) steps.push({ k: "kill", box: box() });
    else if (x < 0.75) steps.push({ k: "restart", box: box() });
    else if (x < 0.77) steps.push({ k: "wipe", box: box() });
    else if (x < 0.82) steps.push({ k: "cut" });
    else if (x < 0.84) steps.push({ k: "cut-one-way", box: box() });
    else if (x < 0.91) steps.push({ k: "heal" });
    else if (x < 0.95) {
      steps.push({ k: "skew", box: box(), ms: pick([-1, 1]) * pick([1500, 30_000, 240_000]) });
    } else steps.push({ k: "partner-down", box: box() });
  }
  return steps;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly steps: readonly Step[];
  readonly duplicates: readonly string[];
  readonly acks: number;
}

/** Runs one schedule on a fresh pair and checks it. */
export async function runSchedule(seed: number, length = 24): Promise<ScheduleResult> {
  const steps = makeSchedule(seed, length);
  const pair = new Pair();
  const lease = new Map<number, string>(); // client -> address it was last given
  try {
    await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal", 10_000);
    for (const s of steps) await apply(pair, s, lease);
    // Let everything settle: the link back, both alive, updates exchanged.
    pair.net.heal();
    for (const n of ["a", "b"] as const) if (!pair.box(n).alive) pair.restart(n, pair.box(n).store);
    await pair.advance(5000, 200);
    return { seed, steps, duplicates: pair.duplicates(), acks: pair.acks.length };
  } finally {
    pair.stop();
  }
}

async function apply(pair: Pair, s: Step, lease: Map<number, string>): Promise<void> {
  switch (s.k) {
    case "dora": {
      const ip = await pair.dora(s.client, s.secs, s.prefer);
      if (ip !== undefined) lease.set(s.client, ip);
      return;
    }
    case "renew": {
      const ip = lease.get(s.client);
      if (ip !== undefined) await pair.renew(s.client, ip);
      return;
    }
    case "release": {
      const ip = lease.get(s.client);
      if (ip === undefined) return;
      await pair.release(s.client, ip);
      lease.delete(s.client);
      return;
    }
    case "decline": {
      const ip = lease.get(s.client);
      if (ip === undefined) return;
      await pair.decline(s.client, ip);
      lease.delete(s.client);
      return;
    }
    case "advance":
      // Steps well under the receive timer (800 ms), so a live link is not mistaken for a dead one.
      return await pair.advance(s.ms, s.ms > 5000 ? 400 : 100);
    case "kill":
      if (pair.box(s.box).alive) pair.kill(s.box);
      return;
    case "restart":
      if (!pair.box(s.box).alive) pair.restart(s.box, pair.box(s.box).store);
      return;
    case "wipe":
      if (pair.box(s.box).alive) pair.kill(s.box);
      pair.restart(s.box, new MemoryLeaseStore());
      return;
    case "cut":
      return pair.net.cut();
    case "cut-one-way":
      return pair.net.cutOneWay(s.box);
    case "heal":
      return pair.net.heal();
    case "skew":
      if (pair.box(s.box).alive) pair.skew(s.box, s.ms);
      return;
    case "partner-down": {
      // The operator's promise (draft §9.8.4): the partner is really down. Given only then.
      const other = s.box === "a" ? "b" : "a";
      if (pair.box(s.box).alive && !pair.box(other).alive) pair.box(s.box).parts.peer.partnerDown();
      return;
    }
  }
}

/** One line per step, for a failing seed's report. */
export function describe(steps: readonly Step[]): string {
  return steps.map((s, i) => `${i + 1}. ${JSON.stringify(s)}`).join("\n");
}
