import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { judgeBinding } from "./lease_sync.ts";
import type { BindingUpdate } from "./binding_codec.ts";
import { REJECT } from "./options.ts";
import { TIME_TOLERANCE_SEC } from "./binding_checks.ts";
import { pairConfig } from "../../tests/helpers/pair_harness.ts";
import { parseIpv4 } from "../wire/ipv4.ts";

const NOW = 1_800_000_000;
const config = pairConfig("primary"); // pool 192.0.2.10-109, max lease 86400 s default, MCLT 60
const maxSec = config.subnets[0]!.leaseTimes.maxSec;
const ip = (s: string) => parseIpv4(s)!;
const hw = { htype: 1, addr: new Uint8Array([0, 1, 2, 3, 4, 5]) };

function good(over: Partial<BindingUpdate> = {}): BindingUpdate {
  return {
    ip: ip("192.0.2.20"),
    status: "active",
    hardware: hw,
    clttSec: NOW - 10,
    stateStartSec: NOW - 10,
    leaseEndSec: NOW + 600,
    potentialEndSec: NOW + 900,
    ...over,
  };
}

function verdict(b: BindingUpdate, skewSec = 0) {
  return judgeBinding(b, undefined, config, "primary", NOW, skewSec);
}

Deno.test("partner bindings: a sound one is accepted", () => {
  ok(verdict(good()).accept);
  // Times are corrected by the measured offset before they are checked.
  ok(verdict(good({ clttSec: NOW + 500, stateStartSec: NOW + 500 }), 500).accept);
});

Deno.test("partner bindings: every bad case is refused with the draft's reason", () => {
  const cases: [string, Partial<BindingUpdate>, number][] = [
    ["address in no subnet", { ip: ip("198.51.100.7") }, REJECT.illegalIpAddress],
    ["network address", { ip: ip("192.0.2.0") }, REJECT.illegalIpAddress],
    ["broadcast address", { ip: ip("192.0.2.255") }, REJECT.illegalIpAddress],
    ["outside every pool", { ip: ip("192.0.2.200") }, REJECT.illegalIpAddress],
    ["the server's own address", { ip: ip("10.0.0.1") }, REJECT.illegalIpAddress],
    ["start in the future", { stateStartSec: NOW + TIME_TOLERANCE_SEC + 1 }, REJECT.unknownError],
    ["CLTT in 2100", { clttSec: 4_102_444_800 }, REJECT.unknownError],
    ["lease end in 2106", { leaseEndSec: 4_294_967_295 }, REJECT.unknownError],
    [
      "lease end past max lease + MCLT",
      { leaseEndSec: NOW + TIME_TOLERANCE_SEC + maxSec + 61 },
      REJECT.unknownError,
    ],
    ["potential end in 2106", { potentialEndSec: 4_294_967_295 }, REJECT.unknownError],
    ["1,900-octet client id", { clientId: new Uint8Array(1900) }, REJECT.unknownError],
    [
      "17-octet hardware address",
      { hardware: { htype: 1, addr: new Uint8Array(17) } },
      REJECT.unknownError,
    ],
  ];
  for (const [name, over, reason] of cases) {
    const v = verdict(good(over));
    ok(!v.accept, name);
    assertEquals(v.rejectReason, reason, name);
  }
  // The same binding inside the pool is fine: only the listed field made the difference.
  ok(verdict(good({ ip: ip("192.0.2.109") })).accept);
});

Deno.test("partner bindings: text fields are kept only when they pass their RFC", () => {
  const v = verdict(good({ hostname: "evil\x1b[2J;name", vendorClass: "MSFT 5.0" }));
  ok(v.accept);
  assertEquals([v.lease.hostname, v.lease.vendorClass], ["", "MSFT 5.0"]);
  const w = verdict(good({ hostname: "laptop-3", vendorClass: "bad\nclass" }));
  ok(w.accept);
  assertEquals([w.lease.hostname, w.lease.vendorClass], ["laptop-3", ""]);
});

Deno.test("§7.1.3: an ended ACTIVE binding of another client never replaces a live one", () => {
  const held = {
    ...judgeBinding(good(), undefined, config, "secondary", NOW, 0),
  };
  if (!held.accept) throw new Error("setup");
  const stale = good({
    hardware: { htype: 1, addr: new Uint8Array([9, 9, 9, 9, 9, 9]) },
    clttSec: NOW - 500,
    stateStartSec: NOW - 500,
    leaseEndSec: NOW - 400,
    potentialEndSec: NOW - 300,
  });
  const v = judgeBinding(stale, held.lease, config, "secondary", NOW, 0);
  ok(!v.accept, "the secondary keeps its live binding");
  assertEquals(v.rejectReason, REJECT.outdatedBindingInformation);
  // A live conflicting binding from the primary still wins on the secondary (note 5).
  const live = good({ hardware: { htype: 1, addr: new Uint8Array([9, 9, 9, 9, 9, 9]) } });
  ok(judgeBinding(live, held.lease, config, "secondary", NOW, 0).accept);
});
