/**
 * Mutual TLS on the failover link (draft-12 §11.2) between two in-process servers over TCP on
 * loopback, with certificates from `tandem certs` (lib/platform/certs.ts): CONNECT carries
 * TLS-request 2, CONNECTACK TLS-reply 1, the connection continues in TLS and the CONNECT is
 * repeated inside it. A primary with a certificate from another CA never gets in; one side
 * without TLS is refused with the draft's reject reason and says what to configure.
 */
import { equal, ok } from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse_config.ts";
import type { Config } from "../../lib/config/config.ts";
import { boot, type Running } from "../../lib/app/boot.ts";
import { makePairCertificates, writePairCertificates } from "../../lib/app/certs.ts";
import { MSG } from "../../lib/wire/option_registry.ts";
import { mac, RelayClient } from "../helpers/udp_relay_client.ts";
import { freePortBase } from "../helpers/ports.ts";

const base = freePortBase(22);
const PORT = { a: base, b: base + 1 };

function config(
  role: "primary" | "secondary",
  dir: string,
  tls: { dir: string } | undefined,
  shift = 0,
): Config {
  const me = (role === "primary" ? PORT.a : PORT.b) + shift;
  const partner = (role === "primary" ? PORT.b : PORT.a) + shift;
  const r = parseConfig(`role = "${role}"
server_id = "127.0.0.${role === "primary" ? 1 : 2}"
[dhcp]
listen_address = "127.0.0.1"
[store]
state_dir = "${dir}/${role}"
[log]
level = "error"
[failover]
relationship = "tls-test"
my_address = "127.0.0.1"
my_port = ${me}
partner_address = "127.0.0.1"
partner_port = ${partner}
shared_secret = "tls-test-shared-secret-0123"
${
    tls === undefined ? "" : `[failover.tls]
cert = "${tls.dir}/${role}.crt"
key = "${tls.dir}/${role}.key"
ca = "${tls.dir}/${role}-ca.crt"`
  }
[[subnet]]
cidr = "127.82.0.0/24"
[[subnet.pool]]
range = "127.82.0.10-127.82.0.200"
`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { ...r.config, dhcp: { ...r.config.dhcp, port: 0 }, http: { ...r.config.http, port: 0 } };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const state = (r: Running) => r.failover!.peer.snapshot.state;
const metric = (r: Running, re: RegExp) => Number(re.exec(r.registry.render())?.[1] ?? 0);

async function certsIn(dir: string): Promise<{ dir: string }> {
  const c = await makePairCertificates(
    [
      { name: "primary", address: "127.0.0.1" },
      { name: "secondary", address: "127.0.0.1" },
    ],
    30,
    "tls-test",
  );
  await writePairCertificates(dir, c);
  for (const role of ["primary", "secondary"]) {
    await Deno.copyFile(`${dir}/ca.crt`, `${dir}/${role}-ca.crt`);
  }
  return { dir };
}

Deno.test("failover TLS: a pair with certificates from `tandem certs` reaches NORMAL over mutual TLS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-tls-" });
  const tls = await certsIn(`${dir}/certs`);
  const b = await boot(config("secondary", dir, tls), { newPair: true });
  const a = await boot(config("primary", dir, tls), { newPair: true });
  const client = new RelayClient("127.82.0.1", a.dhcpPort);
  try {
    ok(
      await waitFor(() => state(a) === "normal" && state(b) === "normal", 10_000),
      `a=${state(a)} b=${state(b)}`,
    );
    ok(a.failover!.peer.linkSecured && b.failover!.peer.linkSecured, "the link runs over TLS");
    const status = a.failover!.status();
    equal(status.tls, "required");
    equal(status.link_tls, true);
    // The binding update travels inside TLS and is acknowledged.
    equal((await client.dora(mac(1), 1)).type, MSG.ACK);
    ok(await waitFor(() => b.store.size() >= 1, 3000), "the lease reached the secondary");
  } finally {
    client.close();
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("failover TLS: a primary whose certificate is from another CA never gets in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-tls-bad-" });
  const good = await certsIn(`${dir}/good`);
  const other = await certsIn(`${dir}/other`);
  // The impostor has the right shared secret and a well-formed certificate, from another CA;
  // it trusts the real CA too, so only the secondary's own check can stop it.
  await Deno.writeTextFile(
    `${other.dir}/primary-ca.crt`,
    (await Deno.readTextFile(`${other.dir}/ca.crt`)) +
      (await Deno.readTextFile(`${good.dir}/ca.crt`)),
  );
  const b = await boot(config("secondary", dir, good), { newPair: true });
  const impostor = await boot(config("primary", dir, other), { newPair: true });
  try {
    const refused = await waitFor(
      () => metric(b, /tandem_failover_rejected_connections_total\{reason="tls"\} (\d+)/) >= 2,
      10_000,
    );
    ok(refused, b.registry.render().split("\n").filter((l) => /rejected/.test(l)).join("\n"));
    equal(state(b), "startup", "the secondary never accepted the impostor");
    equal(b.failover!.peer.connected, false);
    equal(b.store.size(), 0);
  } finally {
    await impostor.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("failover TLS: TLS on one box only is refused with the draft's reason, in words on both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-tls-one-" });
  const tls = await certsIn(`${dir}/certs`);
  for (const [withTls, reason, shift] of [["secondary", 11, 10], ["primary", 10, 20]] as const) {
    const b = await boot(
      config("secondary", `${dir}/${withTls}`, withTls === "secondary" ? tls : undefined, shift),
      { newPair: true },
    );
    const a = await boot(
      config("primary", `${dir}/${withTls}`, withTls === "primary" ? tls : undefined, shift),
      { newPair: true },
    );
    try {
      const re = new RegExp(
        `tandem_failover_rejected_connections_total\\{reason="${reason}"\\} (\\d+)`,
      );
      ok(await waitFor(() => metric(b, re) >= 1, 10_000), `reject reason ${reason}`);
      ok(
        await waitFor(() => /TLS/.test(a.failover!.peer.pairProblem ?? ""), 5000),
        `primary's problem: ${a.failover!.peer.pairProblem}`,
      );
      ok(/\[failover\.tls\]/.test(b.failover!.peer.pairProblem ?? ""), "secondary says the fix");
      equal(state(a) === "normal" || state(b) === "normal", false, "never NORMAL");
    } finally {
      await a.stop();
      await b.stop();
    }
  }
  await Deno.remove(dir, { recursive: true });
});
