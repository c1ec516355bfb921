import { deepEqual, equal, ok } from "node:assert/strict";
import { formatIssues, parseConfig } from "./parse_config.ts";
import { checkPair } from "./pair_check.ts";
import { fingerprintText } from "../failover/fingerprint.ts";
import type { Config } from "./config.ts";

const PAIR_FILE = Deno.readTextFileSync(new URL("../../tandem.pair.example.toml", import.meta.url));

function parsed(text: string, who: Parameters<typeof parseConfig>[2]): Config {
  const r = parseConfig(text, "pair.toml", who);
  ok(r.ok, r.ok ? "" : formatIssues("pair.toml", r.errors));
  deepEqual(r.warnings, []);
  return r.config;
}

function errorsOf(text: string, who: Parameters<typeof parseConfig>[2] = { box: "dhcp-a" }) {
  const r = parseConfig(text, "pair.toml", who);
  ok(!r.ok, "expected errors");
  return formatIssues("pair.toml", r.errors);
}

Deno.test("pair file: each box finds itself by --box, hostname or address", () => {
  const byBox = parseConfig(PAIR_FILE, "p", { box: "dhcp-b" });
  ok(byBox.ok);
  equal(byBox.box, "dhcp-b");
  const a = parsed(PAIR_FILE, { hostname: "DHCP-A.example.net", addresses: ["10.30.0.3"] });
  equal(a.role, "primary", "the hostname wins over an address");
  deepEqual([a.failover?.myAddress, a.failover?.partnerAddress], ["10.40.0.2", "10.40.0.3"]);
  equal(a.http.address, "10.30.0.2");
  const b = parsed(PAIR_FILE, { hostname: "localhost", addresses: ["127.0.0.1", "10.40.0.3"] });
  equal(b.role, "secondary");
  deepEqual([b.failover?.myAddress, b.failover?.partnerAddress], ["10.40.0.3", "10.40.0.2"]);
  // The same file, as each box, is a valid pair: the shared settings are shared by construction.
  deepEqual(checkPair(a, b, fingerprintText), []);
});

Deno.test("pair file: the same box as a per-box file gives the same config", () => {
  const shared = PAIR_FILE.slice(PAIR_FILE.indexOf("[failover]"))
    .replace("[failover]", '[failover]\nmy_address = "10.40.0.2"\npartner_address = "10.40.0.3"')
    .replace("[http]", '[http]\nlisten = "10.30.0.2:8067"');
  const text = 'authoritative = true\nrole = "primary"\nserver_id = "10.30.0.2"\n' + shared;
  deepEqual(parsed(text, {}), parsed(PAIR_FILE, { box: "dhcp-a" }));
});

Deno.test("pair file: what is wrong is named, with its [[box]] line and a fix", () => {
  const none = errorsOf(PAIR_FILE, { hostname: "elsewhere", addresses: ["192.0.2.9"] });
  ok(none.includes('hostname "elsewhere"') && none.includes("--box NAME"), none);
  ok(errorsOf(PAIR_FILE, { box: "dhcp-c" }).includes("the boxes are dhcp-a, dhcp-b"));
  const twoPrimaries = errorsOf(PAIR_FILE.replace('role = "secondary"', 'role = "primary"'));
  ok(/pair\.toml:\d+: box\[1\]\.role: both boxes are primary/.test(twoPrimaries), twoPrimaries);
  const sameId = errorsOf(PAIR_FILE.replace('server_id = "10.30.0.3"', 'server_id = "10.30.0.2"'));
  ok(sameId.includes("box[1].server_id: both boxes have server_id 10.30.0.2"), sameId);
  const unknown = errorsOf(PAIR_FILE.replace('name = "dhcp-b"', 'name = "dhcp-b"\nmclt_sec = 5'));
  ok(unknown.includes("box[1].mclt_sec: unknown key in [[box]]"), unknown);
  const topLevel = errorsOf('server_id = "10.30.0.9"\n' + PAIR_FILE);
  ok(topLevel.includes("pair.toml:1: server_id: server_id is set per box"), topLevel);
  const mine = errorsOf(PAIR_FILE.replace("[failover]", '[failover]\nmy_address = "10.40.0.2"'));
  ok(mine.includes("failover.my_address: failover.my_address comes from each [[box]]"), mine);
  const badAddress = errorsOf(PAIR_FILE.replace('"10.40.0.2"', '"10.40.0.300"'));
  // A problem in a value the box set is reported at the box's line, under the box's key.
  const line = PAIR_FILE.split("\n").findIndex((l) => l.includes('"10.40.0.2"')) + 1;
  ok(badAddress.includes(`pair.toml:${line}: box[0].failover_address`), badAddress);
});

Deno.test("check-config as a pair: two per-box files that do not fit are named key by key", () => {
  const a = parsed(PAIR_FILE, { box: "dhcp-a" });
  const other = PAIR_FILE.replace("mclt_sec = 300", "mclt_sec = 600")
    .replace('range = "10.20.0.100-10.20.0.250"', 'range = "10.20.0.100-10.20.0.200"')
    .replace('shared_secret = "replace-me', 'shared_secret = "other-secret');
  const b = parsed(other, { box: "dhcp-b" });
  const problems = checkPair(a, b, fingerprintText);
  deepEqual(problems.map((p) => p.key), [
    "failover.mclt_sec",
    "failover.shared_secret",
    "scopes: subnets[0].pools[0].ranges[0][1]",
  ]);
  ok(!JSON.stringify(problems).includes("other-secret"), "a secret is never printed");
  const swapped = checkPair(a, parsed(PAIR_FILE, { box: "dhcp-a" }), fingerprintText);
  deepEqual(swapped.map((p) => p.key), ["role", "server_id", "failover.partner_address"]);
});
