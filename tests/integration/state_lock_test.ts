/**
 * Two `tandem run` on one state directory (the real program, the binary's permission flags):
 * the second refuses with one line and a non-zero exit before it opens the database or binds
 * a socket; the first keeps serving; after kill -9 of the first a new one starts (the kernel
 * dropped the lock).
 */
import { equal, ok } from "node:assert/strict";
import { MSG } from "../../lib/wire/option_registry.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";
import { freePortBase } from "../helpers/ports.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const base = freePortBase(4);

const TOML = (dir: string) =>
  `role = "standalone"
server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
port = ${base}
[http]
listen = "127.0.0.1:${base + 1}"
[store]
state_dir = "${dir}/state"
[log]
level = "error"
[[subnet]]
cidr = "127.80.0.0/24"
[[subnet.pool]]
range = "127.80.0.10-127.80.0.200"
`;

const spawn = (config: string) =>
  new Deno.Command(`${ROOT}scripts/tandem`, {
    args: ["run", "--config", config],
    stdout: "null",
    stderr: "piped",
  }).spawn();

async function healthy(): Promise<boolean> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      const r = await fetch(`http://127.0.0.1:${base + 1}/healthz`);
      await r.body?.cancel();
      if (r.status === 200) return true;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("state lock: a second server on the same state directory refuses to start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-lock-" });
  const config = `${dir}/tandem.toml`;
  await Deno.writeTextFile(config, TOML(dir));
  const first = spawn(config);
  let third: Deno.ChildProcess | undefined;
  try {
    ok(await healthy(), "first server up");
    const second = await new Deno.Command(`${ROOT}scripts/tandem`, {
      args: ["run", "--config", config],
      stdout: "null",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(second.stderr).trim();
    equal(second.code, 1, err);
    equal(err.split("\n").length, 1, `one line: ${err}`);
    ok(err.includes(`pid ${first.pid}`) && err.includes(`${dir}/state`), err);
    const client = new RelayClient("127.80.0.1", base);
    try {
      equal((await client.dora(mac(3), 0x77)).type, MSG.ACK, "the first still serves");
    } finally {
      client.close();
    }
    first.kill("SIGKILL");
    await first.status;
    third = spawn(config);
    ok(await healthy(), "a new server starts after kill -9 of the holder");
  } finally {
    try {
      first.kill("SIGKILL");
    } catch { /* already gone */ }
    await first.status;
    await first.stderr.cancel();
    if (third !== undefined) {
      third.kill("SIGKILL");
      await third.status;
      await third.stderr.cancel();
    }
    await Deno.remove(dir, { recursive: true });
  }
});
