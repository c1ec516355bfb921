/**
 * The operator's lease commands on the real in-process pair (pair_harness.ts: real DhcpServer,
 * group commit, store and FailoverPeer): an added lease and a deleted one reach the partner as
 * binding updates (issue #12 items 6-7), and the partner's checks hold (no duplicate holder).
 */
import { equal, ok } from "node:assert/strict";
import { parseIpv4 } from "../lib/wire/ipv4.ts";
import { Pair } from "./helpers/pair_harness.ts";

Deno.test("lease add and delete on the primary reach the secondary", async () => {
  const pair = new Pair();
  try {
    ok(
      await pair.until(() => pair.a.state === "normal" && pair.b.state === "normal") >= 0,
      "NORMAL",
    );
    const ip = parseIpv4("192.0.2.50")!;
    const added = await pair.a.server.leaseCommand({
      kind: "add",
      ip,
      hwAddr: "02:00:00:00:00:50",
      hostname: "printer-3",
    });
    ok(added.ok, added.message);
    ok(
      await pair.until(() => pair.b.store.get(ip)?.state === "active", 5000) >= 0,
      `the secondary never got the added lease: ${JSON.stringify(pair.b.store.get(ip))}`,
    );
    const onB = pair.b.store.get(ip)!;
    equal(onB.clientKey, "hw:01:020000000050");
    equal(onB.hostname, "printer-3");
    // The client of the added lease gets it from the pair, as any client would.
    const event = pair.a.log.events.find((e) => e.event === "lease.add");
    equal(event?.props.ip, "192.0.2.50");

    // Another client cannot be given it by a command either.
    const clash = await pair.b.server.leaseCommand({ kind: "add", ip, hwAddr: "020000000051" });
    equal(clash.ok, false, clash.message);

    const deleted = await pair.a.server.leaseCommand({ kind: "delete", ip });
    ok(deleted.ok, deleted.message);
    ok(
      await pair.until(() => {
        const [a, b] = [pair.a.store.get(ip), pair.b.store.get(ip)];
        return a?.state === "free" && b?.state === "free" && !a.pendingUpdate;
      }, 5000) >= 0,
      `after delete: a=${pair.a.store.get(ip)?.state} b=${pair.b.store.get(ip)?.state}`,
    );
    equal(pair.duplicates().length, 0, pair.duplicates().join("\n"));
  } finally {
    pair.stop();
  }
});
