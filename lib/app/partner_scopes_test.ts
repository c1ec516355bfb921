import { deepEqual, equal, ok } from "node:assert/strict";
import { parseConfig } from "../config/parse_config.ts";
import type { Config } from "../config/config.ts";
import { MemoryLeaseStore } from "../lease/memory_store.ts";
import { MemoryLog } from "../event_log.ts";
import { pairToml } from "../../tests/helpers/pair_harness.ts";
import { PartnerScopes, SCOPES_KEY, scopeTextOf, withStoredScopes } from "./partner_scopes.ts";

const parse = (t: string): Config => {
  const r = parseConfig(t);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
};

function host(config: Config) {
  const log = new MemoryLog();
  const store = new MemoryLeaseStore();
  let current = config;
  const scopes = new PartnerScopes({
    log,
    store,
    nowSec: () => 1000,
    config: () => current,
    apply: (next) => {
      current = next;
      return Promise.resolve();
    },
  });
  return { log, store, scopes, current: () => current };
}

const primary = parse(pairToml("primary"));
const wider = pairToml("secondary").replace("192.0.2.10-192.0.2.109", "192.0.2.10-192.0.2.119");

Deno.test("partner scopes: a secondary takes the primary's, keeps its identity, stores them", async () => {
  const h = host(parse(wider));
  await h.scopes.received(scopeTextOf(primary)!);
  const now = h.current();
  equal(now.role, "secondary");
  equal(now.failover?.myAddress, "10.0.0.2", "its identity stays its own");
  deepEqual(now.subnets[0]?.pools[0]?.ranges, primary.subnets[0]?.pools[0]?.ranges);
  equal(h.store.meta(SCOPES_KEY), scopeTextOf(primary));
  deepEqual(h.scopes.differs, []);
  deepEqual(h.scopes.source(), { from: "primary", synced_sec: 1000 });
  // After a restart (its file still has the old pool), the stored scopes are served.
  const again = withStoredScopes(parse(wider), h.store, h.log);
  deepEqual(again.subnets[0]?.pools[0]?.ranges, primary.subnets[0]?.pools[0]?.ranges);
});

Deno.test("partner scopes: a primary only says which keys differ; a bad document is refused", async () => {
  const h = host(primary);
  await h.scopes.received(scopeTextOf(parse(wider))!);
  equal(h.current(), primary, "the primary's scopes are the truth");
  deepEqual(h.scopes.differs, ["subnets[0].pools[0].ranges[0][1]"]);
  ok(h.log.events.some((e) => e.event === "failover.scopes_differ"));
  const s = host(parse(wider));
  await s.scopes.received(JSON.stringify({ subnet: [{ cidr: "192.0.2.0/33" }], failover: {} }));
  deepEqual(s.scopes.differs, ["(the partner's scopes are not valid on this box)"]);
  const refused = s.log.events.find((e) => e.event === "failover.scopes_rejected");
  ok(String(refused?.props.problem).includes("subnet[0].cidr"), String(refused?.props.problem));
  equal(s.store.meta(SCOPES_KEY), undefined, "nothing stored");
});
