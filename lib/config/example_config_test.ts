import assert from "node:assert/strict";
import { formatIpv4 } from "../wire/ipv4.ts";
import { formatIssues, parseConfig } from "./parse_config.ts";

const EXAMPLE = new URL("../../tandem.example.toml", import.meta.url);

Deno.test("tandem.example.toml parses with no errors and no warnings", () => {
  const r = parseConfig(Deno.readTextFileSync(EXAMPLE), "tandem.example.toml");
  assert.ok(r.ok, r.ok ? "" : formatIssues("tandem.example.toml", r.errors));
  assert.deepEqual(r.warnings, []);
});

Deno.test("tandem.example.toml is safe to run on a developer machine", () => {
  const r = parseConfig(Deno.readTextFileSync(EXAMPLE));
  assert.ok(r.ok);
  const c = r.config;
  assert.equal(c.role, "standalone");
  assert.equal(c.dhcp.address, "127.0.0.1");
  assert.equal(c.dhcp.port, 6767);
  assert.notEqual(c.dhcp.clientPort, 68, "never reaches this machine's own DHCP client");
  assert.deepEqual(c.http, { address: "127.0.0.1", port: 8067 });
  assert.equal(c.stateDir, "./state");
  assert.ok(c.subnets.every((s) => !s.direct), "relayed subnets only");
  assert.deepEqual(c.subnets.map((s) => `${formatIpv4(s.cidr.network)}/${s.cidr.prefixLen}`), [
    "192.0.2.0/24",
    "198.51.100.0/24",
  ]);
});

Deno.test("tandem.example.toml shows options at every level and both reservation kinds", () => {
  const r = parseConfig(Deno.readTextFileSync(EXAMPLE));
  assert.ok(r.ok);
  const [office] = r.config.subnets;
  assert.ok(office !== undefined);
  assert.ok(r.config.options.size > 0, "global options");
  assert.ok(office.options.size > 0, "subnet options");
  assert.ok((office.pools[0]?.options.size ?? 0) > 0, "pool options");
  assert.ok((office.reservations[0]?.options.size ?? 0) > 0, "reservation options");
  assert.ok(office.reservations.some((x) => x.hwAddress !== undefined), "by MAC");
  assert.ok(office.reservations.some((x) => x.clientId !== undefined), "by client-id");
});
