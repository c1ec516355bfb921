/**
 * kill -9 under load (reliability.md §6 T6, single server): a relay-agent load client in its
 * own namespace runs DORA for 2,000 clients against Tandem and records every DHCPACK it
 * receives. Mid-load the server is SIGKILLed and restarted on the same state dir; the clients
 * retry through the outage. At the end the server is SIGKILLed again, and every address any
 * client saw ACKed must be in the lease database, active, for that client; no address may have
 * been ACKed to two clients.
 *
 * Run: scripts/deno test --allow-all tests/e2e/crash_test.ts
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { relayAndServer, RELAYED_SPEC, spawnLoadClient } from "../helpers/relay_load.ts";
import { e2eSkipReason, sleep, Topology, waitFor, withTimeout } from "../helpers/netns.ts";
import { normalizeMac } from "../helpers/tandem_process.ts";
import { serverUnderTest } from "./real_clients.ts";

const skip = e2eSkipReason(["curl"]);
const CLIENTS = 2000;
const KILL_AFTER_ACKS = 600;

interface Ack {
  mac: string;
  ip: string;
  t: number;
}

async function readAcks(path: string): Promise<Ack[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Ack);
}

Deno.test({
  name: "crash: every DHCPACK a client saw survives kill -9 and restart",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("k");
    let server;
    try {
      const { r, s } = await relayAndServer(topo);
      server = serverUnderTest(topo, s, RELAYED_SPEC);
      await server.start();

      const acksPath = `${topo.tmpDir}/acks.jsonl`;
      const load = spawnLoadClient(topo, r, {
        clients: CLIENTS,
        window: 64,
        seconds: 30,
        out: acksPath,
      });

      await waitFor(
        `${KILL_AFTER_ACKS} ACKs before the kill`,
        async () => {
          if (load.exited()) throw new Error(`load client exited early: ${await topo.log(load)}`);
          return (await readAcks(acksPath)).length >= KILL_AFTER_ACKS ? true : undefined;
        },
        20_000,
        20,
      );
      await server.kill9();
      const killedAt = Date.now();
      const beforeKill = (await readAcks(acksPath)).length;
      await sleep(200);
      await server.start();
      console.log(`restarted ${server.name} in ${Date.now() - killedAt} ms`);

      const done = await withTimeout(load.status, 35_000);
      assert(done !== undefined, "load client did not finish in time");
      const summary = await topo.log(load);
      console.log(`acks before kill: ${beforeKill}; load client: ${summary.trim()}`);
      // What was acknowledged must already be on disk: crash it again before reading.
      await server.kill9();

      const acks = await readAcks(acksPath);
      const afterRestart = acks.filter((a) => a.t > killedAt).length;
      assert(afterRestart > 0, "no client was served after the restart");
      assertEquals(new Set(acks.map((a) => a.mac)).size, CLIENTS, `not every client got an ACK`);

      const owner = new Map<string, string>();
      for (const a of acks) {
        const prev = owner.get(a.ip);
        assert(prev === undefined || prev === a.mac, `${a.ip} ACKed to ${prev} and to ${a.mac}`);
        owner.set(a.ip, a.mac);
      }
      const leases = new Map((await server.leases()).map((l) => [l.ip, l]));
      const lost: string[] = [];
      for (const a of acks) {
        const l = leases.get(a.ip);
        if (!l || l.state !== "active" || l.hwAddr !== normalizeMac(a.mac)) {
          lost.push(`${a.ip} -> ${a.mac} (t=${a.t}): store has ${JSON.stringify(l)}`);
        }
      }
      assertEquals(
        lost.length,
        0,
        `ACKed leases missing after kill -9:\n${lost.slice(0, 20).join("\n")}`,
      );
    } catch (e) {
      if (server) console.error(`--- ${server.name} log ---\n${(await server.log()).slice(-3000)}`);
      throw e;
    } finally {
      await server?.stop();
      await topo.cleanup();
    }
  },
});
