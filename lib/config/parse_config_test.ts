import assert from "node:assert/strict";
import { INVALID_CONFIGS, VALID_CONFIGS } from "../../tests/fixtures/configs.ts";
import { parseCidr, parseIpv4 } from "../wire/ipv4.ts";
import type { Config } from "./config.ts";
import {
  ConfigError,
  type ConfigIssue,
  formatIssues,
  parseConfig,
  parseConfigOrThrow,
} from "./parse_config.ts";

const ip = (t: string) => parseIpv4(t) ?? assert.fail(`bad test address ${t}`);

function mustParse(text: string): { config: Config; warnings: ConfigIssue[] } {
  const r = parseConfig(text);
  if (!r.ok) assert.fail(`expected a valid config:\n${formatIssues("test.toml", r.errors)}`);
  return r;
}

function errorsOf(text: string): ConfigIssue[] {
  const r = parseConfig(text);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.errors;
}

Deno.test("minimal config is fully defaulted", () => {
  const { config, warnings } = mustParse(VALID_CONFIGS.minimal);
  assert.deepEqual(warnings, []);
  const expected: Config = {
    role: "standalone",
    serverId: ip("203.0.113.10"),
    dhcp: { address: "0.0.0.0", port: 67, clientPort: 68 },
    authoritative: true,
    offerHoldSec: 30,
    declineProbationSec: 3600,
    leaseTimes: { defaultSec: 3600, minSec: 300, maxSec: 86400, t1Ratio: 0.5, t2Ratio: 0.875 },
    options: new Map(),
    subnets: [{
      id: 1,
      cidr: parseCidr("192.0.2.0/24") ?? assert.fail(),
      direct: false,
      pools: [{
        ranges: [{ start: ip("192.0.2.100"), end: ip("192.0.2.199") }],
        exclude: [],
        options: new Map(),
      }],
      reservations: [],
      options: new Map(),
      leaseTimes: { defaultSec: 3600, minSec: 300, maxSec: 86400, t1Ratio: 0.5, t2Ratio: 0.875 },
    }],
    http: { address: "127.0.0.1", port: 8067 },
    stateDir: "/var/lib/tandem",
    commitWindowMs: 10,
    poolLowPercent: 10,
    historyDays: 30,
    logLevel: "info",
  };
  const { sourceDoc, ...values } = config;
  assert.deepEqual(values, expected);
  assert.equal((sourceDoc as { server_id?: string }).server_id, "203.0.113.10", "the document");
});

Deno.test("every valid fixture parses without errors or warnings", () => {
  for (const [name, text] of Object.entries(VALID_CONFIGS)) {
    const r = parseConfig(text);
    assert.ok(r.ok, `${name}: ${r.ok ? "" : formatIssues(name, r.errors)}`);
    assert.deepEqual(r.warnings, [], name);
  }
});

Deno.test("subnets, pools and reservations are built from their tables", () => {
  const { config } = mustParse(VALID_CONFIGS.standaloneLoopback);
  assert.equal(config.dhcp.port, 6767);
  assert.equal(config.http.adminToken, "0123456789abcdef0123");
  assert.equal(config.stateDir, "./state");
  const [first, second] = config.subnets;
  assert.ok(first !== undefined && second !== undefined);
  assert.equal(first.id, 1);
  assert.equal(second.id, 7, "a configured id is kept");
  assert.equal(second.direct, true);
  assert.equal(second.leaseTimes.defaultSec, 1800, "[subnet.lease] overrides");
  assert.equal(second.leaseTimes.maxSec, 86400, "keys not overridden come from [lease]");
  assert.equal(second.pools[0]?.ranges.length, 2);
  const excluded = first.pools[0]?.exclude ?? [];
  assert.equal(excluded.length, 7, "one address plus a range of six");
  assert.equal(excluded[0], ip("192.0.2.150"));
  assert.equal(excluded[6], ip("192.0.2.165"));
  const [byMac, byId] = first.reservations;
  assert.deepEqual(byMac?.hwAddress, new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
  assert.equal(byMac?.clientId, undefined);
  assert.equal(byMac?.hostname, "printer");
  assert.deepEqual(byId?.clientId, new Uint8Array([1, 0x52, 0x54, 0, 0xab, 0xcd, 0xef]));
  assert.equal(byId?.ip, ip("192.0.2.21"));
});

Deno.test("failover table becomes FailoverConfig with defaults", () => {
  const { config } = mustParse(VALID_CONFIGS.primary);
  assert.equal(config.role, "primary");
  assert.deepEqual(config.failover, {
    relationshipName: "tandem-test",
    myAddress: "127.0.0.1",
    myPort: 6647,
    partnerAddress: "127.0.0.1",
    partnerPort: 6648,
    mode: "hot-standby",
    mcltSec: 60,
    split: 128,
    reservePercent: 10,
    loadBalanceMaxSecs: 3,
    contactIntervalMs: 200,
    receiveTimerMs: 800,
    autoPartnerDownSec: 0,
    relayAlarmSec: 300,
    maxUnackedBndupd: 64,
    partner: "tandem",
    authentication: "hmac",
    sharedSecret: "test-shared-secret-0123456789",
    maxClockSkewSec: 60,
  });
  assert.equal(
    mustParse(VALID_CONFIGS.loadBalancingSecondary).config.failover?.mode,
    "load-balancing",
  );
  assert.equal(mustParse(VALID_CONFIGS.minimal).config.failover, undefined);
});

for (const [name, c] of Object.entries(INVALID_CONFIGS)) {
  Deno.test(`invalid: ${name} -> ${c.path || "(document)"}:${c.line}`, () => {
    const errors = errorsOf(c.text);
    const hit = errors.find((e) => e.path === c.path);
    assert.ok(hit, `no issue at ${c.path}; got:\n${formatIssues("test.toml", errors)}`);
    assert.equal(hit.line, c.line, `line of ${c.path}`);
    assert.ok(hit.problem.includes(c.problem), `problem "${hit.problem}" lacks "${c.problem}"`);
    assert.ok(hit.fix.length > 0, "every issue has a fix");
  });
}

Deno.test("all errors are collected, in line order", () => {
  const text = `role = "primay"
server_id = "203.0.113.10"
[lease]
defualt_sec = 3
[[subnet]]
cidr = "10.0.0.5/24"
[[subnet]]
cidr = "10.0.1.0/24"
[[subnet.pool]]
range = "10.0.1.50-10.0.1.20"
`;
  const errors = errorsOf(text);
  assert.deepEqual(
    errors.map((e) => [e.line, e.path]),
    [
      [1, "role"],
      [4, "lease.defualt_sec"],
      [6, "subnet[0].cidr"],
      [10, "subnet[1].pool[0].range"],
    ],
  );
});

Deno.test("a schema error elsewhere does not hide semantic errors, nor invent new ones", () => {
  const text = `server_id = "203.0.113.10"
[lease]
min_sec = "600"
default_sec = 400
[[subnet]]
cidr = "192.0.2.0/24"
[[subnet.pool]]
range = "192.0.2.50-192.0.2.20"
`;
  const errors = errorsOf(text);
  // min_sec was rejected and its default (300) stood in; "min > default" would be an artefact.
  assert.deepEqual(errors.map((e) => e.path), ["lease.min_sec", "subnet[0].pool[0].range"]);
});

Deno.test("an invalid role does not make [failover] look misplaced", () => {
  const text = `role = "primay"
server_id = "203.0.113.10"
[failover]
my_address = "10.0.0.1"
partner_address = "10.0.0.2"
shared_secret = "0123456789abcdef"
`;
  assert.deepEqual(errorsOf(text).map((e) => e.path), ["role"]);
});

Deno.test("TOML syntax errors report the parser's line and column", () => {
  const [e, ...rest] = errorsOf(`server_id = "203.0.113.10"\n\n[dhcp\nport = 67\n`);
  assert.deepEqual(rest, []);
  assert.equal(e?.path, "");
  assert.equal(e?.line, 3);
  assert.match(e?.problem ?? "", /TOML syntax error: the table header \[dhcp is not closed/);
  const [bad] = errorsOf(`server_id = "203.0.113.10"\nrole = "primary\n`);
  assert.equal(bad?.line, 2);
  assert.match(bad?.problem ?? "", /TOML syntax error at column \d+: Unterminated string/);
  const [dup] = errorsOf(`server_id = "203.0.113.10"\nserver_id = "203.0.113.11"\n`);
  assert.equal(dup?.line, 2);
  assert.match(dup?.fix ?? "", /may appear once/);
});

Deno.test("unknown keys suggest the key meant", () => {
  const cases: [string, string, RegExp][] = [
    [
      `server_id = "203.0.113.10"\n[dhcp]\nlisten_adress = "0.0.0.0"\n`,
      "dhcp.listen_adress",
      /did you mean "listen_address"/,
    ],
    [
      `server_id = "203.0.113.10"\n[[subnets]]\ncidr = "192.0.2.0/24"\n`,
      "subnets",
      /did you mean "subnet"/,
    ],
    [
      `server_id = "203.0.113.10"\n[[pool]]\nrange = "192.0.2.1-192.0.2.9"\n`,
      "pool",
      /did you mean \[\[subnet\.pool\]\]/,
    ],
    [`server_id = "203.0.113.10"\nmclt_sec = 300\n`, "mclt_sec", /belongs in \[failover\]/],
    [
      `server_id = "203.0.113.10"\n[log]\ncolour = true\n`,
      "log.colour",
      /valid keys in \[log\] are: level/,
    ],
  ];
  for (const [text, path, fix] of cases) {
    const hit = errorsOf(text).find((e) => e.path === path);
    assert.ok(hit, path);
    assert.match(hit.problem, /unknown key/);
    assert.match(hit.fix, fix);
  }
});

Deno.test("type errors name what was expected and what was found", () => {
  const [e] = errorsOf(`server_id = "203.0.113.10"\noffer_hold_sec = "30"\n`);
  assert.equal(e?.path, "offer_hold_sec");
  assert.match(e?.problem ?? "", /expected a number, found "30"/);
  const [f] = errorsOf(`server_id = 10\n`);
  assert.match(f?.problem ?? "", /expected a string, found 10/);
  assert.match(f?.fix ?? "", /double quotes/);
});

Deno.test("failover rules: required for a pair, refused for standalone", () => {
  const failover = `[failover]
my_address = "10.0.0.1"
partner_address = "10.0.0.2"
shared_secret = "0123456789abcdef"
`;
  for (const role of ["primary", "secondary"]) {
    const r = parseConfig(`role = "${role}"\nserver_id = "203.0.113.10"\n${failover}`);
    assert.ok(r.ok, role);
    assert.equal(r.config.failover?.partnerAddress, "10.0.0.2");
    // No admin_token: warned, since partner-down over HTTP will be refused.
    assert.deepEqual(r.warnings.map((w) => w.path), ["http.admin_token", "subnet"]);
  }
  const missing = errorsOf(
    `server_id = "203.0.113.10"\nrole = "primary"\n[failover]\nmy_address = "10.0.0.1"\n`,
  );
  assert.deepEqual(missing.map((e) => e.path).sort(), ["failover.partner_address"]);
  assert.match(missing[0]?.problem ?? "", /required/);
  const noSecret = errorsOf(
    `server_id = "203.0.113.10"\nrole = "primary"\n[failover]\nmy_address = "10.0.0.1"\n` +
      `partner_address = "10.0.0.2"\n`,
  );
  assert.deepEqual(noSecret.map((e) => e.path), ["failover.shared_secret"]);
  assert.match(noSecret[0]?.problem ?? "", /missing/);
  assert.match(noSecret[0]?.fix ?? "", /authentication = "none"/);
  // "none" must be said, and then no secret may be set.
  const none = parseConfig(
    `server_id = "203.0.113.10"\nrole = "primary"\n[failover]\nmy_address = "10.0.0.1"\n` +
      `partner_address = "10.0.0.2"\nauthentication = "none"\n`,
  );
  assert.ok(none.ok);
  assert.ok(none.warnings.some((w) => w.path === "failover.authentication"));
  assert.equal(none.config.failover?.authentication, "none");
});

Deno.test("an option that fails to encode is reported at its path with the registry's words", () => {
  const text = `server_id = "203.0.113.10"
[options]
no-such-option = 1
[[subnet]]
cidr = "192.0.2.0/24"
[[subnet.pool]]
range = "192.0.2.10-192.0.2.20"
[subnet.pool.options]
"also-not-an-option" = "x"
`;
  const errors = errorsOf(text);
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [3, "options.no-such-option"],
    [9, "subnet[0].pool[0].options.also-not-an-option"],
  ]);
  assert.ok(errors.every((e) => e.problem.length > 0));
});

Deno.test("one option code set under two names, and server-owned options, are rejected", () => {
  const text = `server_id = "203.0.113.10"
[options]
routers = ["192.0.2.1"]
option-3 = "c0:00:02:01"
ip-address-lease-time = 600
`;
  const errors = errorsOf(text);
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [4, "options.option-3"],
    [5, "options.ip-address-lease-time"],
  ]);
  assert.match(errors[0]?.problem ?? "", /routers already sets/);
  assert.match(errors[1]?.problem ?? "", /set by the server/);
});

Deno.test("a warning for a config with no subnets", () => {
  const r = parseConfig(`server_id = "203.0.113.10"\n`);
  assert.ok(r.ok);
  assert.equal(r.warnings[0]?.path, "subnet");
});

Deno.test("reservation inside a pool is allowed", () => {
  const text = `${VALID_CONFIGS.minimal}[[subnet.reservation]]
hw_address = "52:54:00:12:34:56"
ip = "192.0.2.150"
`;
  const { config, warnings } = mustParse(text);
  assert.deepEqual(warnings, []);
  assert.equal(config.subnets[0]?.reservations[0]?.ip, ip("192.0.2.150"));
});

Deno.test("formatIssues prints source:line: path: problem — fix", () => {
  const text =
    `${VALID_CONFIGS.minimal}[[subnet]]\ncidr = "10.0.1.0/24"\n[[subnet.pool]]\nrange = "10.0.1.50-10.0.1.20"\n`;
  const out = formatIssues("tandem.toml", errorsOf(text));
  assert.equal(
    out,
    "tandem.toml:11: subnet[1].pool[0].range: pool 10.0.1.50-10.0.1.20 ends before it starts" +
      " — fix: write the lower address first",
  );
});

Deno.test("parseConfigOrThrow throws a ConfigError carrying every issue", () => {
  try {
    parseConfigOrThrow(`server_id = "x"\nport = 1\n`, "/etc/tandem.toml");
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.issues.length, 2);
    assert.match(e.message, /^\/etc\/tandem\.toml: 2 problems/);
    assert.match(e.message, /\/etc\/tandem\.toml:1: server_id:/);
  }
  assert.equal(parseConfigOrThrow(VALID_CONFIGS.minimal).config.role, "standalone");
});
