/**
 * A planned stop of a real primary process (SIGTERM, draft §9.14): it finishes its replies,
 * hands its binding updates over, enters SHUTDOWN and tells the secondary, which moves to
 * PARTNER-DOWN on that STATE (not on its receive timer) and serves new clients at once. The
 * restarted primary comes back through RECOVER to NORMAL with the lease made meanwhile.
 * Prints the time from SIGTERM to the secondary's PARTNER-DOWN and to its first new ACK.
 */
import { equal, ok } from "node:assert/strict";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";
import { formatIpv4, ipv4ToBytes } from "../../lib/wire/ipv4.ts";
import { mac, request } from "../helpers/udp_relay_client.ts";
import { waitFor, withNormalPair } from "../helpers/process_pair.ts";

Deno.test({
  name: "handover: SIGTERM of a real primary -> SHUTDOWN, the secondary serves alone at once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withNormalPair("tandem-handover-", {
      relationship: "handover-test",
      secret: "handover-test-shared-secret-0123",
      net: "127.83.0",
      logLevel: "info",
      mcltSec: 5, // the restarted primary waits MCLT in RECOVER-WAIT: keep the test short
    }, async ({ a, b, toA, toB }) => {
      equal((await toA.dora(mac(1), 1)).type, MSG.ACK);
      const t0 = performance.now();
      const stopped = a.terminate();
      ok(await waitFor(async () => (await b.state()) === "partner-down", 5000), "PARTNER-DOWN");
      const tDown = performance.now() - t0;
      const served = await toB.dora(mac(2), 2);
      const tServed = performance.now() - t0;
      equal(served.type, MSG.ACK, "the secondary served a new client");
      const { code, log } = await stopped;
      equal(code, 0, "the primary exited cleanly");
      const handover = log.split("\n").find((l) => l.includes("failover.handover")) ?? "";
      ok(/shutdown in \d+ ms.*serves alone/.test(handover), handover);
      // The lease event log (info): the first client's ACK, with its address and MAC.
      const ack = log.split("\n").find((l) => l.includes("lease.ack")) ?? "";
      ok(ack.includes("52:54:00:00:00:01") && ack.includes("127.83.0."), ack);
      const status = JSON.parse(await b.get("/status"));
      equal(status.failover.partner_state, "shutdown", "the secondary knows why");
      // Within the draft's rules (§9.4.2): before MCLT has passed in PARTNER-DOWN only the
      // secondary's own (BACKUP) addresses; once it has, the primary's FREE ones too.
      const quick = async (n: number) => {
        const xid = 0x5000 + n;
        await toB.send(request(MSG.DISCOVER, mac(n), toB.giaddr, xid));
        const offer = await toB.receive(400);
        if (offer === undefined) return undefined;
        await toB.send(request(MSG.REQUEST, mac(n), toB.giaddr, xid, [
          [OPT.requestedIpAddress, ipv4ToBytes(offer.yiaddr)],
          [OPT.serverIdentifier, offer.options.get(OPT.serverIdentifier)!],
        ]));
        return (await toB.receive(2000))?.options.get(OPT.dhcpMessageType)?.[0] === MSG.ACK
          ? offer.yiaddr
          : undefined;
      };
      const usableSec = status.failover.partner_pool_usable_sec as number;
      let before = 1; // the client above
      for (let n = 10; n < 60 && Date.now() / 1000 < usableSec - 1; n++) {
        if ((await quick(n)) === undefined) break;
        before++;
      }
      const backupShare = status.failover.pool.backup as number;
      ok(
        before <= backupShare,
        `${before} clients before MCLT, the BACKUP share is ${backupShare}`,
      );
      while (Date.now() / 1000 < usableSec + 1) await new Promise((r) => setTimeout(r, 200));
      let after = 0;
      for (let n = 100; n < 110; n++) if ((await quick(n)) !== undefined) after++;
      equal(after, 10, "after MCLT the secondary also gives the primary's addresses");
      console.log(
        `  SIGTERM -> secondary PARTNER-DOWN ${tDown.toFixed(0)} ms; first new ACK from the ` +
          `secondary ${tServed.toFixed(0)} ms after SIGTERM (receive timer 800 ms not waited); ` +
          `${before} new clients from its BACKUP share before MCLT, then the primary's too`,
      );
      // The primary comes back: RECOVER (§9.14.2), then NORMAL with the secondary's lease.
      await a.start(false);
      ok(
        await waitFor(
          async () => (await a.state()) === "normal" && (await b.state()) === "normal",
          120_000,
        ),
        `back to NORMAL (a=${await a.state().catch(() => "?")}, b=${await b.state()})`,
      );
      const learned = (await a.leases()).some((l) => l.ip === formatIpv4(served.ip));
      ok(learned, "the primary learned the lease made while it was away");
    });
  },
});

Deno.test({
  name: "maintenance: `tandem maintenance start` hands over while the process runs; stop returns",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withNormalPair("tandem-maintenance-", {
      relationship: "maintenance-test",
      secret: "maintenance-test-shared-secret-01",
      net: "127.84.0",
      logLevel: "info",
      mcltSec: 5,
      adminToken: "maintenance-admin-token-0123456789",
    }, async ({ a, b, toA, toB }) => {
      equal((await toA.dora(mac(1), 1)).type, MSG.ACK);
      const t0 = performance.now();
      const started = await a.cli("maintenance", "start");
      const tCall = performance.now() - t0;
      equal(started.code, 0, started.out);
      ok(/shutdown in \d+ ms.*serves alone/.test(started.out), started.out);
      equal(await b.state(), "partner-down", "the secondary took over on the primary's word");
      const served = await toB.dora(mac(2), 2);
      const tServed = performance.now() - t0;
      equal(served.type, MSG.ACK, "the secondary served a new client");
      // The primary's process runs on, answers no client, and says why.
      const status = JSON.parse(await a.get("/status"));
      equal(status.failover.state, "shutdown");
      equal(status.failover.maintenance, true);
      const ready = JSON.parse(await a.get("/readyz"));
      ok(!ready.ready && ready.reasons.join().includes("maintenance"), JSON.stringify(ready));
      const words = await a.cli("status");
      ok(words.out.includes("in maintenance"), words.out);
      await toA.send(request(MSG.DISCOVER, mac(3), toA.giaddr, 3));
      equal(await toA.receive(600), undefined, "a box in maintenance answers no client (§9.14.2)");
      equal((await a.cli("maintenance", "start")).code, 1, "a second start is refused");

      const stopped = await a.cli("maintenance", "stop");
      equal(stopped.code, 0, stopped.out);
      const t1 = performance.now();
      ok(
        await waitFor(
          async () => (await a.state()) === "normal" && (await b.state()) === "normal",
          60_000,
        ),
        `back to NORMAL (a=${await a.state().catch(() => "?")}, b=${await b.state()})`,
      );
      const tNormal = performance.now() - t1;
      const learned = (await a.leases()).some((l) => l.ip === formatIpv4(served.ip));
      ok(learned, "the primary has the lease made during its maintenance");
      equal((await toA.dora(mac(4), 4)).type, MSG.ACK, "the primary serves again");
      console.log(
        `  maintenance start: call returned after ${tCall.toFixed(0)} ms with the partner in ` +
          `PARTNER-DOWN; its first new ACK ${tServed.toFixed(0)} ms after the call began; ` +
          `maintenance stop -> NORMAL in ${tNormal.toFixed(0)} ms (MCLT 5 s)`,
      );
    });
  },
});
