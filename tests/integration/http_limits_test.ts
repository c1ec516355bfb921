/**
 * The HTTP endpoint of a real Tandem process (scripts/tandem run: main.ts with the binary's
 * permission flags) under attack from loopback: half-open requests (slowloris) and a flood of
 * connections are bounded and timed out, admin-token guessing is cut off after
 * TOKEN_ATTEMPTS_PER_MIN, and DHCP service carries on throughout. RSS before and after is
 * printed.
 */
import { equal, ok } from "node:assert/strict";
import { MSG } from "../../lib/wire/option_registry.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";
import { DEFAULT_HTTP_LIMITS } from "../../lib/platform/http_server.ts";
import { TOKEN_ATTEMPTS_PER_MIN } from "../../lib/http/routes.ts";
import { freePortBase } from "../helpers/ports.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const base = freePortBase(2);
const PORT = { dhcp: base, http: base + 1 };
const TOKEN = "admin-token-0123456789";

function toml(dir: string): string {
  return `role = "standalone"
server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
port = ${PORT.dhcp}
[http]
listen = "127.0.0.1:${PORT.http}"
admin_token = "${TOKEN}"
[store]
state_dir = "${dir}/state"
[log]
level = "error"
[[subnet]]
cidr = "127.79.0.0/24"
[[subnet.pool]]
range = "127.79.0.10-127.79.0.200"
`;
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const get = async (path: string) => {
  const r = await fetch(`http://127.0.0.1:${PORT.http}${path}`, {
    signal: AbortSignal.timeout(2000),
  });
  await r.body?.cancel();
  return r.status;
};

/** RSS (KiB) and open descriptors of the server (Deno needs --allow-all for /proc/<pid>). */
async function usage(pid: number): Promise<{ rssKb: number; fds: number }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `grep VmRSS /proc/${pid}/status; ls /proc/${pid}/fd | wc -l`],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const fds = Number(text.trim().split("\n").at(-1));
  return { rssKb, fds };
}

Deno.test("http: slowloris, connection flood and token guessing are bounded; DHCP unaffected", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-http-" });
  await Deno.writeTextFile(`${dir}/tandem.toml`, toml(dir));
  const child = new Deno.Command(`${ROOT}scripts/tandem`, {
    args: ["run", "--config", `${dir}/tandem.toml`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const held: Deno.Conn[] = [];
  try {
    ok(await waitFor(async () => (await get("/healthz")) === 200, 30_000), "server up");
    const { rssKb: rss0, fds: fd0 } = await usage(child.pid);

    // 1. 500 half-sent requests: at most maxConnections are held, all closed by the timeout.
    for (let i = 0; i < 500; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: PORT.http });
      await c.write(new TextEncoder().encode("GET /status HTTP/1.1\r\nHost: x\r\n"));
      held.push(c);
    }
    await new Promise((r) => setTimeout(r, 300));
    const fdFlood = (await usage(child.pid)).fds;
    ok(
      fdFlood - fd0 <= DEFAULT_HTTP_LIMITS.maxConnections + 2,
      `descriptors during the flood: ${fd0} -> ${fdFlood}`,
    );
    // DHCP service carries on meanwhile.
    const client = new RelayClient("127.79.0.1", PORT.dhcp);
    try {
      equal((await client.dora(mac(1), 0x4242)).type, MSG.ACK, "DHCP answered during the flood");
    } finally {
      client.close();
    }
    // Every held connection is closed by the server within the request timeout.
    const t0 = Date.now();
    let closed = 0;
    await Promise.all(held.map(async (c) => {
      const buf = new Uint8Array(64);
      try {
        while ((await c.read(buf)) !== null) { /* drain */ }
      } catch { /* reset counts as closed */ }
      closed++;
    }));
    const waited = Date.now() - t0;
    equal(closed, 500);
    ok(waited < DEFAULT_HTTP_LIMITS.requestTimeoutMs + 2000, `closed after ${waited} ms`);
    ok(await waitFor(async () => (await get("/healthz")) === 200, 3000), "healthz after flood");
    const fdAfter = (await usage(child.pid)).fds;
    ok(fdAfter <= fd0 + 2, `descriptors after: ${fdAfter} (before ${fd0})`);

    // 2. Token guessing: TOKEN_ATTEMPTS_PER_MIN wrong tokens get 401, then everything 429.
    const codes: number[] = [];
    for (let i = 0; i < 500; i++) {
      const r = await fetch(`http://127.0.0.1:${PORT.http}/partner-down`, {
        method: "POST",
        headers: { authorization: `Bearer guess-${i}` },
      });
      await r.body?.cancel();
      codes.push(r.status);
    }
    equal(codes.filter((c) => c === 401).length, TOKEN_ATTEMPTS_PER_MIN);
    equal(codes.filter((c) => c === 429).length, 500 - TOKEN_ATTEMPTS_PER_MIN);
    const right = await fetch(`http://127.0.0.1:${PORT.http}/partner-down`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await right.body?.cancel();
    equal(right.status, 429, "locked for the minute, even for the right token");

    // 3. Oversized head and body are refused, not buffered.
    const big = await fetch(`http://127.0.0.1:${PORT.http}/healthz`, {
      headers: { "x-pad": "x".repeat(DEFAULT_HTTP_LIMITS.maxHeadBytes) },
    });
    await big.body?.cancel();
    equal(big.status, 431);
    const rss1 = (await usage(child.pid)).rssKb;
    console.log(
      `http flood: 500 half-open -> ${
        fdFlood - fd0
      } descriptors held, all closed in ${waited} ms;` +
        ` 500 token guesses -> ${TOKEN_ATTEMPTS_PER_MIN} x 401, rest 429;` +
        ` RSS ${(rss0 / 1024).toFixed(1)} -> ${(rss1 / 1024).toFixed(1)} MB`,
    );
    ok(rss1 - rss0 < 30 * 1024, `RSS grew ${(rss1 - rss0) / 1024} MB`);
  } finally {
    for (const c of held) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});
