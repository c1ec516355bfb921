/**
 * `tandem run --new-pair` commissions a brand-new pair only: on a box whose store holds leases
 * it is refused with one line, before any socket is opened (draft §9.3.2: such a box must
 * recover from its partner and wait MCLT).
 */
import { equal, ok, rejects } from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse_config.ts";
import { boot, DB_FILE, NewPairRefused } from "../../lib/app/boot.ts";
import { SqliteLeaseStore } from "../../lib/platform/sqlite_store.ts";
import { lease, put } from "../contracts/lease_store_contract.ts";
import { freePortBase } from "../helpers/ports.ts";

const base = freePortBase(4);

function config(dir: string) {
  const r = parseConfig(`role = "primary"
server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
port = ${base}
[http]
listen = "127.0.0.1:${base + 1}"
[store]
state_dir = "${dir}"
[log]
level = "error"
[failover]
relationship = "new-pair-test"
my_address = "127.0.0.1"
my_port = ${base + 2}
partner_address = "127.0.0.1"
partner_port = ${base + 3}
shared_secret = "new-pair-test-shared-secret-0123"
[[subnet]]
cidr = "10.0.0.0/24"
[[subnet.pool]]
range = "10.0.0.10-10.0.0.200"
`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

Deno.test("--new-pair: accepted on an empty store, refused on a store with leases", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-newpair-" });
  try {
    const fresh = await boot(config(dir), { newPair: true });
    equal(fresh.failover?.peer.snapshot.timeOfFailureSec, 0, "no MCLT wait for a new pair");
    await fresh.stop();
    const store = SqliteLeaseStore.open(`${dir}/${DB_FILE}`);
    store.apply([put(lease("10.0.0.20", "aa"))]);
    store.close();
    await rejects(
      boot(config(dir), { newPair: true }),
      (e: unknown) => e instanceof NewPairRefused && /holds 1 lease records/.test(e.message),
    );
    // Without the flag the same box starts, and recovers as a box that has a record.
    const again = await boot(config(dir));
    ok(again.failover !== undefined);
    await again.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
