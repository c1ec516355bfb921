/**
 * The lease commands as an operator runs them (issue #12 items 6-7), on a real pair of
 * processes: `tandem lease add|delete|reclaim` (HTTP with the admin token) on the primary, the
 * result on the secondary's disk; GET /leases and `tandem leases --mac/--client-id` find them.
 */
import { equal, ok } from "node:assert/strict";
import { waitFor, withNormalPair } from "../helpers/process_pair.ts";

const TOKEN = "lease-commands-admin-token-012345";

Deno.test({
  name: "lease commands: add, find, delete and reclaim on a real pair, replicated",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withNormalPair("tandem-lease-cmd-", {
      relationship: "lease-commands",
      secret: "lease-commands-shared-secret-0123",
      net: "127.86.0",
      adminToken: TOKEN,
    }, async ({ pair, a, b }) => {
      const add = await a.cli(
        "lease",
        "add",
        "127.86.0.50",
        "--mac",
        "02:00:00:00:86:50",
        "--client-id",
        "01020000008650",
        "--hostname",
        "printer-3",
      );
      equal(add.code, 0, add.out);
      const onB = () => b.leases().then((ls) => ls.find((l) => l.ip === "127.86.0.50"));
      ok(
        await waitFor(async () => (await onB())?.state === "active", 5000),
        `not on the secondary: ${JSON.stringify(await onB())}`,
      );
      equal((await onB())?.hostname, "printer-3");

      // Found by MAC and by client id over HTTP (admin token), and by the CLI from the file.
      const get = (q: string, token = TOKEN) =>
        fetch(`http://127.0.0.1:${a.ports.http}/leases?${q}`, {
          headers: { authorization: `Bearer ${token}` },
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const byMac = await get("mac=02-00-00-00-86-50");
      equal(byMac.status, 200);
      equal(byMac.body[0]?.ip, "127.86.0.50");
      equal((await get("client_id=01:02:00:00:00:86:50")).body[0]?.ip, "127.86.0.50");
      equal((await get("mac=02-00-00-00-86-50", "wrong")).status, 401, "the token is required");
      const cli = new Deno.Command(new URL("../../scripts/tandem", import.meta.url).pathname, {
        args: [
          "leases",
          "--json",
          "--client-id",
          "01020000008650",
          "--db",
          `${pair.dir}/secondary/leases.db`,
        ],
        stdout: "piped",
      });
      const found = JSON.parse(new TextDecoder().decode((await cli.output()).stdout));
      equal(found.length, 1);
      equal(found[0].ip, "127.86.0.50");

      // A second add for another client is refused with the reason; delete ends it on both.
      const clash = await a.cli("lease", "add", "127.86.0.50", "--mac", "02:00:00:00:86:51");
      equal(clash.code, 1);
      ok(clash.out.includes("bound-to-other"), clash.out);
      const del = await a.cli("lease", "delete", "127.86.0.50");
      equal(del.code, 0, del.out);
      ok(
        await waitFor(async () => (await onB())?.state === "free", 5000),
        `delete did not reach the secondary: ${JSON.stringify(await onB())}`,
      );
      const reclaim = await a.cli("lease", "reclaim");
      equal(reclaim.code, 0, reclaim.out);
      ok(reclaim.out.includes("reclaimed now"), reclaim.out);
      const bad = await a.cli("lease", "reclaim", "127.86.0.50");
      equal(bad.code, 1, "nothing held out of use there");
    });
  },
});
