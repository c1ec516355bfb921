/**
 * The `tandem` command as a user runs it (scripts/tandem: main.ts with the binary's flags).
 */
import { equal, match, ok } from "node:assert/strict";
import { freePortBase } from "./helpers/ports.ts";

const TANDEM = new URL("../scripts/tandem", import.meta.url).pathname;

async function tandem(args: string[], cwd?: string) {
  const out = await new Deno.Command("bash", {
    args: [TANDEM, ...args],
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("tandem version and help", async () => {
  const v = await tandem(["version"]);
  equal(v.code, 0);
  match(v.stdout, /^tandem \d+\.\d+\.\d+/);
  const bad = await tandem(["frobnicate"]);
  equal(bad.code, 2);
  match(bad.stderr, /unknown command 'frobnicate'/);
});

Deno.test("tandem COMMAND --help prints that command's usage and exits 0", async () => {
  for (const cmd of ["run", "status", "leases", "check-config", "partner-down", "version"]) {
    const h = await tandem([cmd, "--help"]);
    equal(h.code, 0, `${cmd} --help: ${h.stderr}`);
    match(h.stdout, new RegExp(`^usage: tandem ${cmd}`), cmd);
    match(h.stdout, /-h, --help/, cmd);
    equal(h.stderr, "", cmd);
  }
  match((await tandem(["run", "--help"])).stdout, /--new-pair/);
  match((await tandem(["status", "-h"])).stdout, /--json/);
  for (const args of [["--help"], ["help"]]) {
    const full = await tandem(args);
    equal(full.code, 0);
    for (const cmd of ["run", "status", "leases", "check-config", "partner-down", "version"]) {
      match(full.stdout, new RegExp(`tandem ${cmd}`));
    }
  }
  const one = await tandem(["help", "leases"]);
  equal(one.code, 0);
  match(one.stdout, /^usage: tandem leases/);
});

Deno.test("tandem: an unknown flag or argument is one line plus the command's usage, exit 2", async () => {
  const bad = await tandem(["run", "--frob"]);
  equal(bad.code, 2);
  equal(bad.stdout, "");
  const [first, blank, usage] = bad.stderr.split("\n");
  equal(first, "tandem run: unknown option '--frob'");
  equal(blank, "");
  match(usage!, /^usage: tandem run/);
  const extra = await tandem(["status", "extra"]);
  equal(extra.code, 2);
  match(extra.stderr, /^tandem status: unexpected argument 'extra'\n\nusage: tandem status/);
  const flagOfAnother = await tandem(["version", "--json"]);
  equal(flagOfAnother.code, 2);
  match(flagOfAnother.stderr, /^tandem version: unknown option '--json'/);
});

Deno.test("tandem check-config: the example passes; a bad file names key, line, problem, fix", async () => {
  const example = new URL("../tandem.example.toml", import.meta.url).pathname;
  const good = await tandem(["check-config", example]);
  equal(good.code, 0, good.stderr);
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.toml`;
    await Deno.writeTextFile(
      file,
      `server_id = "192.0.2.1"
[[subnet]]
cidr = "192.0.2.0/24"
[[subnet.pool]]
range = "192.0.3.10-192.0.3.20"
[subnet.options]
routerz = ["192.0.2.1"]
`,
    );
    const bad = await tandem(["check-config", file]);
    equal(bad.code, 1);
    match(bad.stderr, /bad\.toml:5: subnet\[0\]\.pool\[0\]\.range: .*fix:/);
    match(bad.stderr, /routerz/);
    const missing = await tandem(["check-config", `${dir}/nope.toml`]);
    equal(missing.code, 1);
    match(missing.stderr, /cannot read the config file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tandem check-config: a pair file as each box and as a pair; two files as a pair", async () => {
  const pairFile = new URL("../tandem.pair.example.toml", import.meta.url).pathname;
  const good = await tandem(["check-config", pairFile]);
  equal(good.code, 0, good.stderr);
  match(good.stdout, /as box dhcp-a \+ .* as box dhcp-b: ok, and they fit together as a pair/);
  const one = await tandem(["check-config", pairFile, "--box", "dhcp-b"]);
  equal(one.code, 0, one.stderr);
  const dir = await Deno.makeTempDir();
  try {
    // Two per-box files made from the pair file, then made not to fit.
    const text = await Deno.readTextFile(pairFile);
    const perBox = (name: string, edit: (t: string) => string) => {
      const file = `${dir}/${name}.toml`;
      const boxes = text.slice(text.search(/^\[\[box\]\]/m), text.search(/^\[failover\]/m));
      const mine = boxes.split("[[box]]").find((b) => b.includes(`"${name}"`))!;
      const other = boxes.split("[[box]]").find((b) => b.trim() !== "" && b !== mine)!;
      const get = (b: string, k: string) => b.match(new RegExp(`^${k} = "([^"]+)"`, "m"))![1];
      const shared = text.slice(text.indexOf("[failover]"))
        .replace(
          "[failover]",
          `[failover]\nmy_address = "${get(mine, "failover_address")}"\n` +
            `partner_address = "${get(other, "failover_address")}"`,
        );
      return Deno.writeTextFile(
        file,
        edit(`role = "${get(mine, "role")}"\nserver_id = "${get(mine, "server_id")}"\n${shared}`),
      ).then(() => file);
    };
    const a = await perBox("dhcp-a", (t) => t);
    const b = await perBox("dhcp-b", (t) => t);
    const fits = await tandem(["check-config", a, b]);
    equal(fits.code, 0, fits.stderr);
    const c = await perBox("dhcp-b", (t) => t.replace("mclt_sec = 300", "mclt_sec = 600"));
    const misfit = await tandem(["check-config", a, c]);
    equal(misfit.code, 1);
    match(misfit.stderr, /1 problem\(s\) as a pair\n {2}failover\.mclt_sec: 300 on one box, 600/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tandem run: serves, lists leases while running, and exits cleanly on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-cli-" });
  const port = freePortBase(2);
  const cfg = `${dir}/t.toml`;
  await Deno.writeTextFile(
    cfg,
    `server_id = "127.0.0.1"
[dhcp]
listen_address = "127.0.0.1"
port = ${port}
[http]
listen = "127.0.0.1:${port + 1}"
[store]
state_dir = "${dir}/state"
[[subnet]]
cidr = "127.79.0.0/24"
[[subnet.pool]]
range = "127.79.0.10-127.79.0.20"
`,
  );
  const child = new Deno.Command("bash", {
    args: [TANDEM, "run", "--config", cfg],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`http://127.0.0.1:${port + 1}/readyz`).then(async (r) => {
        await r.body?.cancel();
        return r.status === 200;
      }, () => false);
    }
    ok(ready, "server became ready");
    const { RelayClient, mac } = await import("./helpers/udp_relay_client.ts");
    const c = new RelayClient("127.79.0.1", port);
    const r = await c.dora(mac(3), 3);
    c.close();
    equal(r.type, 5);
    const leases = await tandem(["leases", "--json", "--config", cfg]);
    equal(leases.code, 0, leases.stderr);
    const list = JSON.parse(leases.stdout);
    equal(list.length, 1);
    equal(list[0].state, "active");
    equal(list[0].hw_address, "52:54:00:00:00:03");
    const table = await tandem(["leases", "--state", "active", "--config", cfg]);
    match(table.stdout, /127\.79\.0\.\d+\s+active\s+52:54:00:00:00:03/);
    const status = await tandem(["status", "--config", cfg]);
    equal(status.code, 0);
    match(status.stdout, /ready: serving/);
    match(status.stdout, /^tandem \S+, role standalone, up \d+ s$/m);
    const raw = await tandem(["status", "--json", "--config", cfg]);
    equal(raw.code, 0, raw.stderr);
    const doc = JSON.parse(raw.stdout);
    equal(doc.role, "standalone");
    equal(doc.ready.ready, true);
  } finally {
    child.kill("SIGTERM");
    const out = await child.output();
    const log = new TextDecoder().decode(out.stderr);
    equal(out.code, 0, log);
    match(log, /tandem\.stopped/);
    await Deno.remove(dir, { recursive: true });
  }
});

/** A config whose DHCP, HTTP and (failover: true) partner ports start at base. */
function portConfig(dir: string, base: number, failover: boolean): string {
  return `server_id = "127.0.0.1"
${failover ? 'role = "primary"' : ""}
[dhcp]
listen_address = "127.0.0.1"
port = ${base}
[http]
listen = "127.0.0.1:${base + 1}"
admin_token = "a-long-random-admin-token-for-this-test"
[store]
state_dir = "${dir}/state"
${
    failover
      ? `[failover]
relationship = "t"
my_address = "127.0.0.1"
my_port = ${base + 2}
partner_address = "127.0.0.1"
partner_port = ${base + 3}
shared_secret = "0123456789abcdef0123456789abcdef"`
      : ""
  }
[[subnet]]
cidr = "127.79.0.0/24"
[[subnet.pool]]
range = "127.79.0.10-127.79.0.20"
`;
}

Deno.test("tandem run: a port in use is one line naming the config key, exit 78", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-cli-" });
  try {
    const cases = [
      { key: "[dhcp] port", offset: 0, udp: true, failover: false },
      { key: "[http] listen", offset: 1, udp: false, failover: false },
      { key: "[failover] my_port", offset: 2, udp: false, failover: true },
    ];
    for (const c of cases) {
      const base = freePortBase(8);
      const port = base + c.offset;
      const held = c.udp
        ? Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port })
        : Deno.listen({ hostname: "127.0.0.1", port });
      try {
        const cfg = `${dir}/t.toml`;
        await Deno.writeTextFile(cfg, portConfig(dir, base, c.failover));
        const r = await tandem(["run", "--config", cfg]);
        equal(r.code, 78, r.stderr);
        const lines = r.stderr.trimEnd().split("\n");
        equal(
          lines.at(-1),
          `tandem: cannot listen on 127.0.0.1:${port} (address already in use): ` +
            `set ${c.key} to a free port, or stop the program using it`,
        );
        // Everything before it is a JSON log line: no stack trace, no second message.
        for (const line of lines.slice(0, -1)) ok(line.startsWith("{"), line);
        ok(!/^\s+at /m.test(r.stderr), r.stderr);
      } finally {
        held.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
