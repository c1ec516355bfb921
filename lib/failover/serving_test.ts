import type { FailoverConfig, SubnetConfig } from "../config/config.ts";
import { emptyLease } from "../lease/lease.ts";
import { ipv4, parseIpv4 } from "../wire/ipv4.ts";
import { bucketOf, hbaFromSplit, hbaHasBucket } from "./hash.ts";
import { SERVER_STATES, type ServerState } from "./options.ts";
import { defaultOwnerOf, servingScope } from "./serving.ts";
import type { FailoverRole, FailoverSnapshot } from "./snapshot.ts";
import { boot } from "./state.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const ip = (s: string) => parseIpv4(s) ?? ipv4(0);
const NOW = 1_700_000_000;

const cfg: FailoverConfig = {
  relationshipName: "pair",
  myAddress: "10.0.0.1",
  myPort: 647,
  partnerAddress: "10.0.0.2",
  partnerPort: 647,
  mode: "load-balancing",
  mcltSec: 3600,
  split: 128,
  reservePercent: 10,
  loadBalanceMaxSecs: 5,
  contactIntervalMs: 10000,
  receiveTimerMs: 30000,
  autoPartnerDownSec: 0,
  relayAlarmSec: 300,
  maxUnackedBndupd: 10,
  partner: "tandem",
  authentication: "hmac",
  sharedSecret: "x",
  maxClockSkewSec: 60,
};

const subnet: SubnetConfig = {
  id: 1,
  cidr: { network: ip("10.0.0.0"), prefixLen: 24 },
  direct: false,
  pools: [{
    ranges: [{ start: ip("10.0.0.100"), end: ip("10.0.0.149") }, {
      start: ip("10.0.0.200"),
      end: ip("10.0.0.249"),
    }],
    exclude: [ip("10.0.0.248")],
    options: new Map(),
  }],
  reservations: [],
  options: new Map(),
  leaseTimes: { defaultSec: 3600, minSec: 60, maxSec: 86400, t1Ratio: 0.5, t2Ratio: 0.875 },
};

function snap(role: FailoverRole, state: ServerState, partnerDownSec: number | null = null) {
  const s: FailoverSnapshot = {
    ...boot(undefined, {
      role,
      mcltSec: 3600,
      safePeriodSec: 0,
      startupMs: 1000,
      startupTimeout: "wait",
    }, NOW).next,
    state,
    partnerDownSec,
  };
  return servingScope(s, cfg, [subnet], NOW);
}

Deno.test("defaultOwnerOf: reservePercent of each pool, spread evenly, is the secondary's", () => {
  // 100 addresses, one excluded: 99 usable, floor(9.9) = 9 reserved, every 10th in order.
  const pools = subnet.pools;
  let secondary = 0;
  for (let a = ip("10.0.0.100"); a <= ip("10.0.0.249"); a = ipv4(a + 1)) {
    if (defaultOwnerOf(a, pools, 10) === "secondary") secondary++;
  }
  assertEquals(secondary, 9);
  assertEquals(defaultOwnerOf(ip("10.0.0.109"), pools, 10), "secondary");
  assertEquals(defaultOwnerOf(ip("10.0.0.119"), pools, 10), "secondary");
  assertEquals(defaultOwnerOf(ip("10.0.0.110"), pools, 10), "primary");
  assertEquals(defaultOwnerOf(ip("10.0.0.248"), pools, 10), "primary", "excluded");
  assertEquals(defaultOwnerOf(ip("10.0.0.5"), pools, 10), "primary", "no pool");
  assertEquals(defaultOwnerOf(ip("10.0.0.100"), pools, 0), "primary");
  const sc = snap("secondary", "normal");
  assertEquals(sc.defaultState(ip("10.0.0.109"), 1), "backup");
  assertEquals(sc.defaultState(ip("10.0.0.100"), 1), "free");
});

Deno.test("answers(): NORMAL splits new clients by hash, renewals always (§9.8.2)", () => {
  const hba = hbaFromSplit(128);
  const p = snap("primary", "normal");
  const s = snap("secondary", "normal");
  for (let i = 0; i < 200; i++) {
    const key = new Uint8Array([1, 0, 0x16, 0x3e, 0, i, i * 7]);
    const mine = hbaHasBucket(hba, bucketOf(key, "isc"));
    assertEquals(p.answers(key, 0, "new"), mine);
    assertEquals(s.answers(key, 0, "new"), !mine);
    assert(p.answers(key, 0, "renew") && s.answers(key, 0, "renew"));
    assert(s.answers(key, 6, "new") && p.answers(key, 6, "new"), "secs > max: both");
  }
  const hot = servingScope(
    {
      ...boot(undefined, {
        role: "secondary",
        mcltSec: 1,
        safePeriodSec: 0,
        startupMs: 1,
        startupTimeout: "wait",
      }, NOW).next,
      state: "normal",
    },
    { ...cfg, mode: "hot-standby" },
    [subnet],
    NOW,
  );
  assert(!hot.answers(new Uint8Array([1, 2, 3]), 0, "new"), "hot standby: secondary idle");
});

Deno.test("answers(): per state, per the draft", () => {
  const key = new Uint8Array([1, 2, 3]);
  const all = [
    "communications-interrupted",
    "partner-down",
    "resolution-interrupted",
    "conflict-done",
  ];
  for (const st of SERVER_STATES) {
    const sc = snap("primary", st);
    const n = sc.answers(key, 0, "new"), r = sc.answers(key, 0, "renew");
    if (all.includes(st)) assert(n && r, st);
    else if (st === "recover-done") assert(!n && r, st);
    else if (st !== "normal") assert(!n && !r, st);
  }
});

Deno.test("mayAllocate(): own pool only, partner's after PARTNER-DOWN + MCLT, acks first", () => {
  const p = snap("primary", "normal");
  const s = snap("secondary", "communications-interrupted");
  assert(p.mayAllocate("free", undefined, NOW) && !p.mayAllocate("backup", undefined, NOW));
  assert(s.mayAllocate("backup", undefined, NOW) && !s.mayAllocate("free", undefined, NOW));
  const expired = { ...emptyLease(ip("10.0.0.100"), 1, "expired", NOW), endSec: NOW - 10 };
  // §5.2.2: an ended binding goes to nobody until the ack makes it FREE/BACKUP (both boxes).
  for (const pending of [false, true]) {
    for (const st of ["expired", "released", "reset"] as const) {
      assert(!p.mayAllocate(st, { ...expired, state: st, pendingUpdate: pending }, NOW), st);
      assert(!s.mayAllocate(st, { ...expired, state: st, pendingUpdate: pending }, NOW), st);
    }
  }
  // ACTIVE past its end, not yet swept (allocate.ts passes it as "expired").
  const ended = { ...expired, state: "active" as const };
  assert(!p.mayAllocate("expired", ended, NOW) && !s.mayAllocate("expired", ended, NOW));
  assert(!p.mayAllocate("active", expired, NOW));
  assert(!snap("primary", "recover-done").mayAllocate("free", undefined, NOW));
  const pd = snap("secondary", "partner-down", NOW);
  assert(pd.mayAllocate("backup", undefined, NOW));
  assert(!pd.mayAllocate("free", undefined, NOW + 3599));
  assert(pd.mayAllocate("free", undefined, NOW + 3600), "§9.4.2 after MCLT");
  assert(!pd.mayAllocate("expired", { ...expired, endSec: NOW + 100 }, NOW + 3650));
  assert(pd.mayAllocate("expired", { ...expired, endSec: NOW + 100 }, NOW + 3700));
});

Deno.test("capLeaseEnd(): MCLT past the acked potential expiration in NORMAL", () => {
  const p = snap("primary", "normal");
  assertEquals(p.capLeaseEnd(undefined, NOW + 86400, NOW), NOW + 3600);
  const l = {
    ...emptyLease(ip("10.0.0.100"), 1, "active", NOW),
    ackedPotentialEndSec: NOW + 86400,
  };
  assertEquals(p.capLeaseEnd(l, NOW + 86400, NOW), NOW + 86400);
  assertEquals(snap("primary", "potential-conflict").capLeaseEnd(l, NOW + 86400, NOW), NOW);
});
