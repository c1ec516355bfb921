/**
 * SIGHUP under load (issue #12 item 3): a relay-agent load client runs DORA for 2,000 clients
 * while the config file is rewritten and SIGHUP sent again and again: changed scopes are
 * applied, a change that needs a restart and an invalid file are refused, and the server
 * neither exits nor loses a client (every one ACKed, no NAK).
 *
 * Run: scripts/deno test --allow-all tests/e2e/reload_test.ts
 */
import { equal, ok } from "node:assert/strict";
import { relayAndServer, RELAYED_SPEC, spawnLoadClient } from "../helpers/relay_load.ts";
import { e2eSkipReason, sleep, Topology, waitFor, withTimeout } from "../helpers/netns.ts";
import { TandemProcess, tandemToml } from "../helpers/tandem_process.ts";

const skip = e2eSkipReason(["curl"]);
const CLIENTS = 2000;

Deno.test({
  name: "reload: SIGHUP under load applies scope changes, refuses the rest, loses no client",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topo = await Topology.create("h");
    let server: TandemProcess | undefined;
    try {
      const { r, s } = await relayAndServer(topo);
      server = new TandemProcess(topo, s, RELAYED_SPEC);
      await server.start();
      const base = tandemToml(RELAYED_SPEC, server.stateDir);

      const acksPath = `${topo.tmpDir}/acks.jsonl`;
      const load = spawnLoadClient(topo, r, {
        clients: CLIENTS,
        window: 8, // slow enough that every reload lands while clients are served
        seconds: 30,
        out: acksPath,
      });
      const acked = async () =>
        (await Deno.readTextFile(acksPath).catch(() => "")).split("\n").filter((l) => l).length;
      await waitFor(
        "200 ACKs before the first reload",
        async () => {
          if (load.exited()) throw new Error(`load client exited early: ${await topo.log(load)}`);
          return (await acked()) >= 200 ? true : undefined;
        },
        20_000,
        20,
      );

      // Six live reloads (DNS server and lease time change), one that needs a restart (the
      // DHCP port), one invalid file; then the original file again.
      const files = [
        ...[54, 55, 56, 57, 58, 59].map((n) =>
          base.replace('"10.10.0.53"', `"10.10.0.${n}"`).replace(
            "default_sec = 3600",
            `default_sec = ${3000 + n}`,
          )
        ),
        base.replace("port = 67", "port = 1067"),
        base.replace('domain-name-servers = ["10.10.0.53"]', 'domain-name-servers = ["nope"]'),
        base,
      ];
      const ackedAtReloads: number[] = [];
      for (const text of files) {
        await Deno.writeTextFile(server.configPath, text);
        server.signal("SIGHUP");
        ackedAtReloads.push(await acked());
        await sleep(150);
        ok(!server.exited(), "the server is still running after SIGHUP");
      }
      const done = await withTimeout(load.status, 35_000);
      ok(done !== undefined, "load client did not finish in time");
      const summary = JSON.parse((await topo.log(load)).trim().split("\n").at(-1) ?? "{}");
      console.log(
        `reloads sent at ${ackedAtReloads.join(", ")} ACKs; load client: ${
          JSON.stringify(summary)
        }`,
      );
      ok(!server.exited(), "the server is still running");
      equal(summary.acked, CLIENTS, "every client completed DORA");
      equal(summary.naks, 0, "no NAK");
      const log = await server.log();
      const count = (event: string) =>
        log.split("\n").filter((l) => l.includes(`"${event}"`)).length;
      equal(count("config.reloaded"), 7, "six changes and the return to the original applied");
      equal(count("config.reload_refused"), 2, "the port change and the invalid file refused");
      ok(log.includes("[dhcp] cannot change while serving: restart to apply"), "reason logged");
      ok(log.includes("options.domain-name-servers"), "the invalid key is named");
    } finally {
      await server?.stop();
      await topo.cleanup();
    }
  },
});
