/**
 * `tandem import` (issue #11 item 4) through the real CLI entry point: a dhcpd.conf of a
 * failover pair's secondary and its dhcpd.leases become a valid Tandem TOML (legacy-peer mode,
 * pools, reservations, options, lease times) and a store holding the active leases; what it
 * cannot translate is named with its line.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { readLeasesFile } from "../lib/platform/sqlite_store.ts";
import { formatIpv4 } from "../lib/wire/ipv4.ts";
import { parseConfig } from "../lib/config/parse_config.ts";

const CONF = `# a dhcpd failover secondary
authoritative;
ddns-update-style none;
default-lease-time 3600;
max-lease-time 86400;
option domain-name "example.test";
option domain-name-servers 10.0.0.53, 10.0.0.54;
option netbios-node-type 8;
next-server 10.0.0.9;
failover peer "campus" {
  secondary;
  address 10.40.0.3;
  port 647;
  peer address 10.40.0.2;
  peer port 647;
  max-response-delay 10;
  max-unacked-updates 10;
  load balance max seconds 3;
}
subnet 10.30.0.0 netmask 255.255.255.0 { }
subnet 10.20.0.0 netmask 255.255.255.0 {
  option routers 10.20.0.1;
  pool {
    failover peer "campus";
    range 10.20.0.100 10.20.0.199;
  }
  range dynamic-bootp 10.20.0.220 10.20.0.230;
}
host printer {
  hardware ethernet 52:54:00:aa:bb:cc;
  fixed-address 10.20.0.10;
  option host-name "printer";
}
`;

const LEASES = `lease 10.20.0.100 {
  starts 6 2026/12/05 14:00:00;
  ends 6 2026/12/05 15:00:00;
  cltt 6 2026/12/05 14:00:00;
  binding state active;
  hardware ethernet 02:00:5e:00:00:01;
  uid "\\001\\002\\000^\\000\\000\\001";
  client-hostname "laptop";
}
lease 10.20.0.101 {
  starts 6 2026/12/05 14:00:00;
  binding state backup;
}
lease 10.99.0.1 {
  binding state free;
}
lease 10.20.0.100 {
  starts 6 2026/12/05 14:30:00;
  ends 6 2026/12/05 15:30:00;
  cltt 6 2026/12/05 14:30:00;
  binding state active;
  hardware ethernet 02:00:5e:00:00:01;
}
`;

Deno.test("tandem import: dhcpd.conf and dhcpd.leases to a valid TOML and a store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-import-" });
  try {
    await Deno.writeTextFile(`${dir}/dhcpd.conf`, CONF);
    await Deno.writeTextFile(`${dir}/dhcpd.leases`, LEASES);
    const r = await new Deno.Command(new URL("../scripts/tandem", import.meta.url).pathname, {
      args: [
        "import",
        "--dhcpd-conf",
        `${dir}/dhcpd.conf`,
        "--dhcpd-leases",
        `${dir}/dhcpd.leases`,
        "--out",
        `${dir}/tandem.toml`,
        "--state-dir",
        `${dir}/state`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    equal(r.code, 0, err);
    match(err, /line 9: next-server 10\.0\.0\.9: not translated/);
    match(err, /lease 10\.99\.0\.1: in no subnet of the config/);
    const parsed = parseConfig(await Deno.readTextFile(`${dir}/tandem.toml`));
    ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    const c = parsed.config;
    equal(c.role, "secondary");
    equal(formatIpv4(c.serverId), "10.40.0.3");
    equal(c.failover?.partner, "isc-dhcpd");
    equal(c.failover?.authentication, "none");
    equal(c.failover?.relationshipName, "campus");
    equal(c.failover?.mode, "hot-standby");
    equal(c.failover?.receiveTimerMs, 10_000, "max-response-delay 10");
    equal(c.failover?.contactIntervalMs, 3333);
    equal(c.leaseTimes.defaultSec, 3600);
    equal(c.options.get(46)?.[0], 8, "netbios-node-type carried over");
    const sub = c.subnets.find((s) => formatIpv4(s.cidr.network) === "10.20.0.0")!;
    deepStrictEqual(
      sub.pools[0]!.ranges.map((x) => `${formatIpv4(x.start)}-${formatIpv4(x.end)}`),
      ["10.20.0.100-10.20.0.199", "10.20.0.220-10.20.0.230"],
    );
    equal(formatIpv4(sub.reservations[0]!.ip), "10.20.0.10");
    equal(sub.reservations[0]!.hostname, "printer");
    const leases = readLeasesFile(`${dir}/state/leases.db`);
    const active = leases.find((l) => formatIpv4(l.ip) === "10.20.0.100")!;
    equal(active.state, "active");
    equal(active.hwAddr, "02005e000001");
    equal(active.startSec, Date.parse("2026-12-05T14:30:00Z") / 1000, "the latest record wins");
    equal(leases.find((l) => formatIpv4(l.ip) === "10.20.0.101")?.state, "backup");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
