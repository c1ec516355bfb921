import { deepStrictEqual, equal } from "node:assert/strict";
import { emptyLease, type Lease } from "./lease.ts";
import { LeaseTable } from "./lease_table.ts";
import type { Ipv4 } from "../wire/ipv4.ts";

const base: Lease = {
  ...emptyLease(0xc0a80001 as Ipv4, 3, "active", 1_800_000_000),
  clientKey: "hw:01:001122334455",
  hwType: 1,
  hwAddr: "001122334455",
  hostname: "printer",
  endSec: 1_800_003_600,
};

Deno.test("LeaseTable: unusual values round-trip exactly", () => {
  const cases: Lease[] = [
    base,
    { ...base, clientKey: "id:01aabb", clientId: "01aabb" }, // derived from option 61
    { ...base, clientKey: "hw:01:001122334455", hwType: 300 }, // not an octet: key stored
    { ...base, clientKey: "hw:12c:001122334455", hwType: 300 }, // derivable from a big htype
    { ...base, clientKey: "custom" },
    { ...base, clientKey: "", hwAddr: "", hostname: "" },
    { ...base, hostname: "a\u0000b", vendorClass: "\u0000" }, // NUL in text
    { ...base, hostname: "h\u00e9\u4e2d\u{1F600}" }, // non-Latin-1 text
    { ...base, relayInfo: "ab".repeat(40_000) }, // longer than a length character holds
    { ...base, hwType: -0, subnetId: -0, startSec: -0, endSec: 1.5, clttSec: -1e300 },
    { ...base, subnetId: Number.MAX_SAFE_INTEGER, hwType: -7, potentialEndSec: 2 ** 40 },
    { ...base, state: "backup", pendingUpdate: true, ackedPotentialEndSec: 4_294_967_296 },
  ];
  const t = new LeaseTable();
  cases.forEach((l, i) => {
    const lease = { ...l, ip: (0xc0a80000 + i) as Ipv4 };
    t.put(lease, 1000 + i);
    deepStrictEqual(t.get(lease.ip), { ...lease, seq: 1000 + i }, `case ${i}`);
    const again = t.get(lease.ip) as Lease;
    equal(Object.is(again.hwType, lease.hwType), true, `case ${i} hwType`);
    equal(Object.is(again.startSec, lease.startSec), true, `case ${i} startSec`);
  });
  // Rewriting a record through every representation keeps the client index right.
  const ip = 0xc0a80000 as Ipv4;
  for (const [i, l] of cases.entries()) {
    t.put({ ...l, ip }, 2000 + i);
    deepStrictEqual(t.get(ip), { ...l, ip, seq: 2000 + i });
    if (l.clientKey !== "") {
      equal(t.slotsOfClient(l.clientKey).map((s) => t.ipAt(s)).includes(ip), true, `case ${i}`);
    }
  }
  equal(t.slotsOfClient("custom").map((s) => t.ipAt(s)).includes(ip), false);
  equal(t.delete(ip)?.state, "backup");
  equal(t.get(ip), undefined);
  equal(t.size, cases.length - 1);
  const other = 0xc0a90000 as Ipv4;
  // seq: high bits packed beside the flags up to 2^47, beyond that kept aside; both exact.
  for (const seq of [2 ** 32 + 7, 2 ** 47 - 1, 2 ** 47, Number.MAX_SAFE_INTEGER]) {
    t.put({ ...base, ip: other }, seq);
    equal(t.get(other)?.seq, seq);
    equal(t.seqAt(t.slotOf(other)), seq);
    equal(t.get(other)?.endSec, base.endSec);
  }
});

Deno.test("LeaseTable: records sharing text chunks survive random puts, resizes and deletes", () => {
  // A deterministic PRNG (mulberry32): the same sequence on every run.
  let seed = 0x5eed;
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const text = () => {
    const r = rand(10);
    // Empty, short, near a chunk's per-record limit, and over it.
    const len = r < 3 ? 0 : r < 8 ? rand(40) : r < 9 ? 1990 + rand(20) : 2500;
    if (len > 0 && rand(2) === 0) {
      // Lowercase hex (stored one character per byte) of odd and even lengths.
      return Array.from({ length: len }, () => "0123456789abcdef"[rand(16)]).join("");
    }
    return "x".repeat(len) + (len > 0 ? String(rand(1000)) : "");
  };
  const t = new LeaseTable();
  const model = new Map<number, Lease>();
  for (let step = 0; step < 4000; step++) {
    const ip = (0x0a000000 + rand(300)) as Ipv4;
    if (rand(5) === 0) {
      t.delete(ip);
      model.delete(ip);
    } else {
      const l: Lease = {
        ...base,
        ip,
        clientKey: rand(2) === 0 ? "" : `custom-${rand(50)}`,
        hwAddr: text(),
        clientId: text(),
        hostname: text(),
        relayInfo: text(),
        seq: step,
      };
      t.put(l, step);
      model.set(ip, l);
    }
  }
  equal(t.size, model.size);
  for (const [ip, l] of model) deepStrictEqual(t.get(ip as Ipv4), l);
});
