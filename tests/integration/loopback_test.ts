/**
 * The real runtime on real sockets, in process: UDP on 127.0.0.1, SQLite in a temp dir, HTTP.
 * Checks that ACKed leases are durable, that malformed packets are counted and dropped, and
 * what the HTTP endpoints say.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse_config.ts";
import { boot } from "../../lib/app/boot.ts";
import { readLeasesFile } from "../../lib/platform/sqlite_store.ts";
import { formatIpv4 } from "../../lib/wire/ipv4.ts";
import { MSG } from "../../lib/wire/option_registry.ts";
import type { Config } from "../../lib/config/config.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";

const TOML = `
role = "standalone"
server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
[http]
listen = "127.0.0.1:8067"
[options]
domain-name-servers = ["192.0.2.53"]
[[subnet]]
cidr = "127.77.0.0/24"
[subnet.options]
routers = ["127.77.0.1"]
[[subnet.pool]]
range = "127.77.0.10-127.77.0.250"
`;

async function start(stateDir: string) {
  const parsed = parseConfig(TOML + `[store]\nstate_dir = "${stateDir}"\n`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const config: Config = {
    ...parsed.config,
    logLevel: "error",
    dhcp: { ...parsed.config.dhcp, port: 0 },
    http: { ...parsed.config.http, port: 0 },
  };
  return await boot(config);
}

Deno.test("loopback: 100 relayed clients complete DORA and every ACK is on disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-loopback-" });
  const server = await start(dir);
  const client = new RelayClient("127.77.0.1", server.dhcpPort);
  try {
    const acked = new Map<string, string>();
    for (let i = 0; i < 100; i++) {
      const r = await client.dora(mac(i), 0x1000 + i);
      equal(r.type, MSG.ACK);
      acked.set(
        formatIpv4(r.ip),
        [...mac(i).subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(""),
      );
    }
    equal(new Set(acked.keys()).size, 100, "every client got its own address");
    // Durable before reply: a second connection to the file sees every ACKed lease.
    const onDisk = readLeasesFile(`${dir}/leases.db`);
    for (const [ip, hw] of acked) {
      const l = onDisk.find((x) => formatIpv4(x.ip) === ip);
      ok(l !== undefined, `lease ${ip} on disk`);
      equal(l.state, "active");
      equal(l.hwAddr, hw);
    }
  } finally {
    client.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loopback: malformed packets are dropped, counted, and serving continues", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-loopback-" });
  const server = await start(dir);
  const client = new RelayClient("127.77.0.1", server.dhcpPort);
  try {
    await client.send(new Uint8Array([1, 2, 3]));
    const junk = new Uint8Array(300).fill(0xff);
    await client.send(junk);
    const r = await client.dora(mac(7), 77);
    equal(r.type, MSG.ACK);
    const base = `http://127.0.0.1:${server.httpPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    ok(/tandem_dhcp_drops_total\{reason="malformed"\} 2\n/.test(metrics), metrics);
    ok(/tandem_dhcp_packets_sent_total\{type="ACK"\} 1\n/.test(metrics));
    ok(/tandem_store_commit_seconds_count [1-9]/.test(metrics));
    ok(/tandem_leases\{state="active",subnet="1"\} 1\n/.test(metrics));
    // Pool figures are addresses, the same as /status: 241 in the pool, 1 active, 240 free.
    ok(/tandem_pool_addresses\{state="size",subnet="1"\} 241\n/.test(metrics), metrics);
    ok(/tandem_pool_addresses\{state="active",subnet="1"\} 1\n/.test(metrics));
    ok(/tandem_pool_addresses\{state="free",subnet="1"\} 240\n/.test(metrics));
    ok(/^tandem_build_info\{version="[^"]+"\} 1$/m.test(metrics));
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(metrics)?.[1]);
    ok(rss > 10_000_000 && rss < 2_000_000_000, `process_resident_memory_bytes ${rss}`);
    ok(/^tandem_js_heap_bytes\{kind="used"\} [1-9]/m.test(metrics));
    const ready = await fetch(`${base}/readyz`);
    equal(ready.status, 200);
    await ready.body?.cancel();
    const status = await (await fetch(`${base}/status`)).json();
    equal(status.role, "standalone");
    deepEqual(
      {
        cidr: status.subnets[0].cidr,
        pool: status.subnets[0].pool_size,
        active: status.subnets[0].active,
      },
      { cidr: "127.77.0.0/24", pool: 241, active: 1 },
    );
    const health = await fetch(`${base}/healthz`);
    equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    client.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
