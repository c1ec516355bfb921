/**
 * Reload without restart, in process on real sockets (lib/app/boot.ts reload()): a changed
 * scope is served by the next packet with nothing lost; what cannot change live is refused
 * with the reason and the running config stays; an invalid file is refused the same way. The
 * SIGHUP path under load with real processes is tests/e2e/reload_test.ts.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse_config.ts";
import { ConfigError } from "../../lib/config/issues.ts";
import { boot } from "../../lib/app/boot.ts";
import { formatIpv4 } from "../../lib/wire/ipv4.ts";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";
import type { Config } from "../../lib/config/config.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";

function toml(dns: string, extra = ""): string {
  return `
role = "standalone"
server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
[http]
listen = "127.0.0.1:8067"
[options]
domain-name-servers = ["${dns}"]
[[subnet]]
cidr = "127.78.0.0/24"
[subnet.options]
routers = ["127.78.0.1"]
[[subnet.pool]]
range = "127.78.0.10-127.78.0.250"
${extra}`;
}

function configOf(text: string, stateDir: string): Config {
  const parsed = parseConfig(text + `[store]\nstate_dir = "${stateDir}"\n`);
  if (!parsed.ok) throw new ConfigError("test.toml", parsed.errors);
  return {
    ...parsed.config,
    logLevel: "error",
    dhcp: { ...parsed.config.dhcp, port: 0 },
    http: { ...parsed.config.http, port: 0 },
  };
}

Deno.test("reload: a changed scope is served by the next packet; fixed keys and bad files are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-reload-" });
  let text = toml("192.0.2.53");
  // Port 0 in both: the running config and every reloaded one agree on [dhcp].
  const server = await boot(configOf(text, dir), {
    reloadSource: () => Promise.resolve(configOf(text, dir)),
  });
  const client = new RelayClient("127.78.0.1", server.dhcpPort);
  const dns = (o: ReadonlyMap<number, Uint8Array>) => [...(o.get(OPT.domainNameServers) ?? [])];
  try {
    const first = await client.dora(mac(1), 0x2001);
    equal(first.type, MSG.ACK);
    deepEqual(dns(first.options), [192, 0, 2, 53]);

    text = toml("192.0.2.54");
    const applied = await server.reload();
    equal(applied.ok, true, applied.message);
    deepEqual(applied.changed, ["[options]"]);
    const second = await client.dora(mac(2), 0x2002);
    deepEqual(dns(second.options), [192, 0, 2, 54], "the next client gets the new option");
    const renewed = await client.dora(mac(1), 0x2003);
    equal(formatIpv4(renewed.ip), formatIpv4(first.ip), "the first client keeps its lease");

    text = toml("192.0.2.55", `[log]\nlevel = "error"\n`).replace(
      'server_id = "127.0.0.1"',
      'server_id = "127.0.0.2"',
    );
    const refused = await server.reload();
    equal(refused.ok, false);
    match(refused.message, /server_id cannot change while serving: restart to apply/);
    const third = await client.dora(mac(3), 0x2004);
    deepEqual(dns(third.options), [192, 0, 2, 54], "a refused reload changes nothing");

    text = toml("not-an-address");
    const invalid = await server.reload();
    equal(invalid.ok, false);
    match(invalid.message, /not valid; the running one stays/);
    match(invalid.message, /options\.domain-name-servers/);
    equal((await client.dora(mac(4), 0x2005)).type, MSG.ACK, "still serving");

    text = toml("192.0.2.54");
    deepEqual((await server.reload()).changed, [], "the same file again: no change");
  } finally {
    client.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload: POST /reload needs the admin token and answers with what changed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-reload-" });
  const token = "reload-token-0123456789";
  let text = toml("192.0.2.53", "");
  const withToken = (t: string) =>
    t.replace('listen = "127.0.0.1:8067"', `listen = "127.0.0.1:8067"\nadmin_token = "${token}"`);
  const server = await boot(configOf(withToken(text), dir), {
    reloadSource: () => Promise.resolve(configOf(withToken(text), dir)),
  });
  try {
    const url = `http://127.0.0.1:${server.httpPort}/reload`;
    const denied = await fetch(url, { method: "POST" });
    await denied.body?.cancel();
    equal(denied.status, 401);
    text = toml("192.0.2.60");
    const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    const body = await res.json();
    equal(res.status, 200);
    ok(body.ok);
    deepEqual(body.changed, ["[options]"]);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
