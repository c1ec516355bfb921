/**
 * A real pair over TCP on loopback (two in-process servers): the peer channel is authenticated
 * by HMAC, garbage and floods on the failover port are dropped without disturbing the link or
 * DHCP service, and the operator's partner-down HTTP call needs the admin token.
 */
import { equal, ok } from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse_config.ts";
import type { Config } from "../../lib/config/config.ts";
import { boot, type Running } from "../../lib/app/boot.ts";
import { MSG } from "../../lib/wire/option_registry.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";
import { encodeFailover } from "../../lib/failover/messages.ts";
import { nativeHmacSha256With } from "../../lib/platform/hmac_native.ts";
import { parseIpv4 } from "../../lib/wire/ipv4.ts";
import { freePortBase } from "../helpers/ports.ts";

const base = freePortBase(4);
const PORT = { a: base, b: base + 1 };

function config(
  role: "primary" | "secondary",
  dir: string,
  secret: string,
  addr: { mine: string; partner: string } = { mine: "127.0.0.1", partner: "127.0.0.1" },
): Config {
  const me = role === "primary" ? PORT.a : PORT.b;
  const partner = role === "primary" ? PORT.b : PORT.a;
  const r = parseConfig(`role = "${role}"
server_id = "127.0.0.${role === "primary" ? 1 : 2}"
[dhcp]
listen_address = "127.0.0.1"
[http]
listen = "127.0.0.1:8067"
admin_token = "admin-token-0123456789"
[store]
state_dir = "${dir}/${role}"
[log]
level = "error"
[failover]
relationship = "sec-test"
my_address = "${addr.mine}"
my_port = ${me}
partner_address = "${addr.partner}"
partner_port = ${partner}
shared_secret = "${secret}"
[[subnet]]
cidr = "127.78.0.0/24"
[[subnet.pool]]
range = "127.78.0.10-127.78.0.200"
`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return {
    ...r.config,
    dhcp: { ...r.config.dhcp, port: 0 },
    http: { ...r.config.http, port: 0 },
  };
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const state = (r: Running) => r.failover!.peer.snapshot.state;

Deno.test("failover TCP: HMAC-authenticated pair survives garbage, floods and impostors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-fosec-" });
  const secret = "loopback-shared-secret-0123";
  const b = await boot(config("secondary", dir, secret), { newPair: true });
  const a = await boot(config("primary", dir, secret), { newPair: true });
  const conns: Deno.Conn[] = [];
  let impostor: Running | undefined;
  const client = new RelayClient("127.78.0.1", a.dhcpPort);
  try {
    await waitFor(() => state(a) === "normal" && state(b) === "normal");
    // 1. Garbage bytes on the secondary's failover port.
    const junk = await Deno.connect({ hostname: "127.0.0.1", port: PORT.b });
    await junk.write(new Uint8Array([0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    // 2. A flood of idle connections.
    for (let i = 0; i < 200; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: PORT.b }));
    }
    // 3. An impostor primary with the wrong secret.
    const wrong = config("primary", dir + "/impostor", "wrong-shared-secret-0123");
    // Every box listens (draft §8.2), so the impostor needs a port of its own on this host.
    const bad = { ...wrong, failover: { ...wrong.failover!, myPort: PORT.b + 1 } };
    impostor = await boot(bad);
    await new Promise((r) => setTimeout(r, 1500));
    equal(state(a), "normal", "the real link stayed up");
    equal(state(b), "normal");
    ok(a.failover!.peer.connected && b.failover!.peer.connected);
    equal(state(impostor), "startup", "the impostor never got in");
    const metrics = b.registry.render();
    ok(
      /tandem_failover_rejected_connections_total\{reason="duplicate"\} [1-9]/.test(metrics),
      metrics,
    );
    // 4. DHCP service was never disturbed.
    const r = await client.dora(mac(1), 1);
    equal(r.type, MSG.ACK);
    await waitFor(() => b.store.size() >= 1, 3000);
    junk.close();
    // 5. Operator partner-down over HTTP needs the token (the primary's link is gone first: in
    // communication with a NORMAL partner, PARTNER-DOWN would only become POTENTIAL-CONFLICT).
    // The link is dropped without the SHUTDOWN of a planned stop (which would itself take the
    // secondary to PARTNER-DOWN, handover_test.ts).
    a.failover!.peer.stop();
    await waitFor(() => state(b) === "communications-interrupted", 3000);
    const url = `http://127.0.0.1:${b.httpPort}/partner-down`;
    const denied = await fetch(url, { method: "POST" });
    equal(denied.status, 401);
    await denied.body?.cancel();
    const okRes = await fetch(url, {
      method: "POST",
      headers: { authorization: "Bearer admin-token-0123456789" },
    });
    equal(okRes.status, 200, await okRes.text());
    equal(state(b), "partner-down");
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed by the server */ }
    }
    client.close();
    await impostor?.stop();
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("failover TCP: a correctly signed BNDUPD before CONNECT is dropped, never stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-fo-replay-" });
  const secret = "replay-test-shared-secret-0123";
  const b = await boot(config("secondary", dir, secret), { newPair: true });
  try {
    // The failover listener opens as the event loop turns: retry briefly.
    let sock: Deno.Conn | undefined;
    for (let i = 0; i < 50 && sock === undefined; i++) {
      sock = await Deno.connect({ hostname: "127.0.0.1", port: PORT.b }).catch(() => undefined);
      if (sock === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    if (sock === undefined) throw new Error("the failover port never opened");
    const binding = {
      ip: parseIpv4("127.78.0.50")!,
      status: "active" as const,
      hardware: { htype: 1, addr: new Uint8Array([2, 0, 0, 0, 0, 9]) },
      clttSec: Math.floor(Date.now() / 1000),
      stateStartSec: Math.floor(Date.now() / 1000),
      leaseEndSec: Math.floor(Date.now() / 1000) + 600,
      potentialEndSec: Math.floor(Date.now() / 1000) + 900,
    };
    await sock.write(encodeFailover({
      kind: "bndupd",
      xid: 77,
      timeSec: Math.floor(Date.now() / 1000),
      bindings: [binding],
    }, { digest: nativeHmacSha256With(secret) }));
    // The secondary closes the connection and stores nothing.
    const buf = new Uint8Array(256);
    let closed = false;
    const end = Date.now() + 3000;
    while (!closed && Date.now() < end) {
      const n = await sock.read(buf).catch(() => null);
      if (n === null) closed = true;
    }
    ok(closed, "the connection was closed");
    try {
      sock.close();
    } catch { /* closed */ }
    equal(b.store.get(binding.ip), undefined, "nothing reached the store");
    ok(
      /tandem_failover_rejected_connections_total\{reason="before-handshake"\} 1/.test(
        b.registry.render(),
      ),
    );
  } finally {
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("failover TCP: the outgoing connection leaves from my_address, so a multi-address box is accepted", async () => {
  // Two loopback addresses stand for a box with several: the secondary accepts only
  // 127.0.0.3, which the primary's dial uses only if it binds my_address.
  const dir = await Deno.makeTempDir({ prefix: "tandem-fo-bind-" });
  const secret = "bind-test-shared-secret-0123";
  const b = await boot(
    config("secondary", dir, secret, { mine: "127.0.0.2", partner: "127.0.0.3" }),
    { newPair: true },
  );
  const a = await boot(
    config("primary", dir, secret, { mine: "127.0.0.3", partner: "127.0.0.2" }),
    { newPair: true },
  );
  try {
    await waitFor(() => state(a) === "normal" && state(b) === "normal", 5000);
    equal(
      /tandem_failover_rejected_connections_total\{reason="not-partner"\}/.test(
        b.registry.render(),
      ),
      false,
      "no connection from a wrong source address",
    );
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
