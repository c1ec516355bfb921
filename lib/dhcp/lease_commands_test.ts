import { deepEqual, equal, ok } from "node:assert/strict";
import { emptyLease, type Lease } from "../lease/lease.ts";
import { ip, makeConfig, pool, subnet } from "../../tests/helpers/test_config.ts";
import { testContext } from "../../tests/helpers/test_client.ts";
import { planLeaseCommand } from "./lease_commands.ts";
import type { ServingScope } from "./scope.ts";

const NOW = 1_700_000_000;
const NET = subnet(1, "10.0.0.0/24", { direct: true, pools: [pool("10.0.0.100", "10.0.0.109")] });

function ctx(leases: Lease[] = [], opts: { pair?: boolean; scope?: ServingScope } = {}) {
  const base = makeConfig({ subnets: [NET] });
  const config = opts.pair === true
    ? { ...base, failover: { mcltSec: 60 } as unknown as NonNullable<typeof base.failover> }
    : base;
  const c = testContext({ config, nowSec: NOW, ...(opts.scope ? { scope: opts.scope } : {}) });
  c.store.apply(leases.map((lease) => ({ kind: "put" as const, lease })));
  return c;
}

const active = (addr: string, key: string): Lease => ({
  ...emptyLease(ip(addr), 1, "active", NOW - 10),
  clientKey: key,
  hwAddr: "020000000001",
  endSec: NOW + 100,
});

Deno.test("lease add: an ACTIVE lease for the client, under the rules a packet meets", () => {
  const p = planLeaseCommand({
    kind: "add",
    ip: ip("10.0.0.101"),
    hwAddr: "02:00:00:00:00:07",
    hostname: "printer",
    leaseSec: 600,
  }, ctx());
  ok(p.ok, p.message);
  const put = p.ops[0];
  ok(put?.kind === "put");
  deepEqual(
    [put.lease.state, put.lease.clientKey, put.lease.hostname, put.lease.endSec],
    ["active", "hw:01:020000000007", "printer", NOW + 600],
  );
  // Bound to another client, outside every pool, or without a client: refused, and why.
  const taken = planLeaseCommand(
    { kind: "add", ip: ip("10.0.0.102"), hwAddr: "020000000007" },
    ctx([active("10.0.0.102", "hw:01:020000000001")]),
  );
  equal(taken.ok, false);
  ok(taken.message.includes("bound-to-other"), taken.message);
  const outside = planLeaseCommand({ kind: "add", ip: ip("10.0.0.50"), hwAddr: "02" }, ctx());
  ok(!outside.ok && outside.message.includes("not-in-pool"), outside.message);
  const nobody = planLeaseCommand({ kind: "add", ip: ip("10.0.0.103") }, ctx());
  ok(!nobody.ok && nobody.message.includes("--mac"), nobody.message);
  const elsewhere = planLeaseCommand({ kind: "add", ip: ip("192.0.2.1"), hwAddr: "02" }, ctx());
  ok(!elsewhere.ok && elsewhere.message.includes("no configured subnet"));
});

Deno.test("lease add: capped where failover caps (draft-12 §5.2.1)", () => {
  const capped: ServingScope = {
    answers: () => true,
    defaultState: () => "free",
    mayAllocate: (s) => s === "free",
    capLeaseEnd: (_l, _want, now) => now + 60,
  };
  const p = planLeaseCommand(
    { kind: "add", ip: ip("10.0.0.104"), clientId: "01020000000009" },
    ctx([], { scope: capped }),
  );
  ok(p.ok && p.ops[0]?.kind === "put");
  equal(p.ops[0].lease.endSec, NOW + 60);
  equal(p.ops[0].lease.clientKey, "id:01020000000009");
  ok(p.message.includes("capped by MCLT"), p.message);
});

Deno.test("lease delete: the record goes (standalone) or becomes RESET (a pair)", () => {
  const held = [active("10.0.0.105", "hw:01:020000000001")];
  const alone = planLeaseCommand({ kind: "delete", ip: ip("10.0.0.105") }, ctx(held));
  ok(alone.ok);
  deepEqual(alone.ops, [{ kind: "delete", ip: ip("10.0.0.105") }]);
  const pair = planLeaseCommand(
    { kind: "delete", ip: ip("10.0.0.105") },
    ctx(held, { pair: true }),
  );
  ok(pair.ok && pair.ops[0]?.kind === "put");
  deepEqual([pair.ops[0].lease.state, pair.ops[0].lease.clientKey], [
    "reset",
    "hw:01:020000000001",
  ]);
  const none = planLeaseCommand({ kind: "delete", ip: ip("10.0.0.106") }, ctx());
  ok(!none.ok && none.message.includes("no lease"));
});

Deno.test("lease reclaim: an address held out of use goes back; a live lease is not touched", () => {
  const declined: Lease = {
    ...emptyLease(ip("10.0.0.107"), 1, "abandoned", NOW - 10),
    endSec: NOW + 3000,
  };
  const r = planLeaseCommand({ kind: "reclaim", ip: ip("10.0.0.107") }, ctx([declined]));
  ok(r.ok);
  deepEqual(r.ops, [{ kind: "delete", ip: ip("10.0.0.107") }]);
  const live = planLeaseCommand(
    { kind: "reclaim", ip: ip("10.0.0.105") },
    ctx([active("10.0.0.105", "hw:01:020000000001")]),
  );
  ok(!live.ok && live.message.includes("`delete`"), live.message);
  const ended = { ...active("10.0.0.108", "hw:01:020000000001"), endSec: NOW - 1 };
  const sweep = planLeaseCommand({ kind: "reclaim" }, ctx([ended]));
  ok(sweep.ok);
  equal(sweep.ops.length, 1, "the sweep, now: the ended lease expires");
});
