import { deepEqual, equal } from "node:assert/strict";
import { PoolWatch } from "./pool_watch.ts";
import { MemoryLog } from "../event_log.ts";
import { MemoryLeaseStore } from "../lease/memory_store.ts";
import { emptyLease } from "../lease/lease.ts";
import { ip, makeConfig, pool, subnet } from "../../tests/helpers/test_config.ts";
import { ipv4 } from "../wire/ipv4.ts";

Deno.test("pool watch: low below 10%, exhausted at none, recovered above; one line per crossing", () => {
  const config = makeConfig({
    subnets: [subnet(1, "10.0.0.0/24", { pools: [pool("10.0.0.100", "10.0.0.119")] })],
  });
  const store = new MemoryLeaseStore();
  const log = new MemoryLog();
  const watch = new PoolWatch(config, log);
  const take = (n: number) =>
    store.apply([{
      kind: "put",
      lease: emptyLease(ipv4(ip("10.0.0.100") + n), 1, "active", 0),
    }]);
  for (let n = 0; n < 18; n++) take(n); // 2 of 20 left: 10%, not below
  watch.check(store);
  equal(log.events.length, 0);
  take(18); // 1 of 20 left: 5%
  watch.check(store);
  watch.check(store);
  take(19); // none left
  watch.check(store);
  equal(watch.low(1), true);
  store.apply([{ kind: "delete", ip: ip("10.0.0.100") }, { kind: "delete", ip: ip("10.0.0.101") }]);
  store.apply([{ kind: "delete", ip: ip("10.0.0.102") }]);
  watch.check(store);
  deepEqual(log.events.map((e) => e.event), ["pool.low", "pool.exhausted", "pool.recovered"]);
  equal(watch.low(1), false);
});

Deno.test("pool watch: the threshold is pool_low_percent, and a reload may change it", () => {
  const config = makeConfig({
    poolLowPercent: 50,
    subnets: [subnet(1, "10.0.0.0/24", { pools: [pool("10.0.0.100", "10.0.0.119")] })],
  });
  const store = new MemoryLeaseStore();
  const log = new MemoryLog();
  const watch = new PoolWatch(config, log);
  for (let n = 0; n < 11; n++) {
    store.apply([{ kind: "put", lease: emptyLease(ipv4(ip("10.0.0.100") + n), 1, "active", 0) }]);
  }
  watch.check(store); // 9 of 20 left: 45% < 50%
  deepEqual(log.events.map((e) => e.event), ["pool.low"]);
  watch.config = { ...config, poolLowPercent: 0 };
  watch.check(store);
  equal(watch.low(1), false, "0 turns the warning off");
});
