import type { Config, SubnetConfig } from "../config/config.ts";
import { ipv4, parseIpv4 } from "../wire/ipv4.ts";
import { configFingerprint } from "./fingerprint.ts";
import { sha256Hex } from "../platform/hmac_native.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const ip = (s: string) => parseIpv4(s) ?? ipv4(0);
const times = { defaultSec: 3600, minSec: 60, maxSec: 86400, t1Ratio: 0.5, t2Ratio: 0.875 };

const subnetA: SubnetConfig = {
  id: 1,
  cidr: { network: ip("10.0.0.0"), prefixLen: 24 },
  direct: true,
  pools: [{
    ranges: [{ start: ip("10.0.0.100"), end: ip("10.0.0.199") }],
    exclude: [ip("10.0.0.150"), ip("10.0.0.120")],
    options: new Map(),
  }],
  reservations: [{
    hwAddress: new Uint8Array([0, 1, 2, 3, 4, 5]),
    ip: ip("10.0.0.10"),
    options: new Map(),
  }],
  options: new Map([[3, new Uint8Array([10, 0, 0, 1])], [6, new Uint8Array([10, 0, 0, 2])]]),
  leaseTimes: times,
};
const subnetB: SubnetConfig = {
  ...subnetA,
  id: 2,
  cidr: { network: ip("10.1.0.0"), prefixLen: 24 },
  direct: false,
  reservations: [],
};

const base: Config = {
  role: "primary",
  serverId: ip("10.0.0.1"),
  dhcp: { address: "0.0.0.0", port: 67, clientPort: 68, broadcastAddress: "255.255.255.255" },
  authoritative: true,
  offerHoldSec: 30,
  declineProbationSec: 3600,
  leaseTimes: times,
  options: new Map(),
  subnets: [subnetA, subnetB],
  http: { address: "127.0.0.1", port: 8080 },
  stateDir: "/var/lib/tandem",
  commitWindowMs: 2,
  poolLowPercent: 10,
  historyDays: 30,
  logLevel: "info",
  failover: {
    relationshipName: "pair",
    myAddress: "10.0.0.1",
    myPort: 647,
    partnerAddress: "10.0.0.2",
    partnerPort: 647,
    mode: "load-balancing",
    mcltSec: 3600,
    split: 128,
    reservePercent: 10,
    loadBalanceMaxSecs: 3,
    contactIntervalMs: 10000,
    receiveTimerMs: 30000,
    autoPartnerDownSec: 0,
    relayAlarmSec: 300,
    maxUnackedBndupd: 10,
    partner: "tandem",
    authentication: "hmac",
    sharedSecret: "one",
    maxClockSkewSec: 60,
  },
};

Deno.test("fingerprint ignores role, addresses, secrets, ids and unordered order", () => {
  const fp = configFingerprint(base, sha256Hex);
  assert(/^[0-9a-f]{64}$/.test(fp));
  const partner: Config = {
    ...base,
    role: "secondary",
    serverId: ip("10.0.0.2"),
    stateDir: "/elsewhere",
    subnets: [{ ...subnetB, id: 1 }, {
      ...subnetA,
      id: 2,
      direct: false,
      options: new Map([...subnetA.options].reverse()),
      pools: [{ ...subnetA.pools[0]!, exclude: [ip("10.0.0.120"), ip("10.0.0.150")] }],
    }],
    failover: {
      ...base.failover!,
      myAddress: "10.0.0.2",
      partnerAddress: "10.0.0.1",
      sharedSecret: "two",
      receiveTimerMs: 1,
    },
  };
  assertEquals(configFingerprint(partner, sha256Hex), fp);
});

Deno.test("fingerprint changes with pools, reservations, options, lease times, reserve", () => {
  const fp = configFingerprint(base, sha256Hex);
  const pool = {
    ...subnetA.pools[0]!,
    ranges: [{ start: ip("10.0.0.100"), end: ip("10.0.0.198") }],
  };
  const variants: Config[] = [
    { ...base, subnets: [{ ...subnetA, pools: [pool] }, subnetB] },
    { ...base, subnets: [{ ...subnetA, reservations: [] }, subnetB] },
    { ...base, subnets: [{ ...subnetA, options: new Map() }, subnetB] },
    { ...base, leaseTimes: { ...times, defaultSec: 7200 } },
    { ...base, failover: { ...base.failover!, reservePercent: 20 } },
    { ...base, subnets: [subnetA] },
  ];
  for (const v of variants) assert(configFingerprint(v, sha256Hex) !== fp);
});
