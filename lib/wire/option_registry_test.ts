import assert from "node:assert/strict";
import {
  decodeOptionValue,
  encodeOptionValue,
  getIpv4,
  getMaxMessageSize,
  getMessageType,
  getParameterRequestList,
  getU32,
  MSG,
  OPT,
  OPTION_TABLE,
  optionByCode,
  optionByName,
  optionName,
} from "./option_registry.ts";
import { toHex } from "./bytes.ts";
import { formatIpv4 } from "./ipv4.ts";

function hex(name: string, value: unknown): string {
  const r = encodeOptionValue(name, value);
  if (!r.ok) throw new Error(`${r.problem} / ${r.fix}`);
  return toHex(r.bytes);
}

function problem(name: string, value: unknown): { problem: string; fix: string } {
  const r = encodeOptionValue(name, value);
  assert.ok(!r.ok, `${name} = ${JSON.stringify(value)} should be rejected`);
  return r;
}

Deno.test("table: unique codes and kebab-case names; all of RFC 2132 and the extras", () => {
  const codes = new Set(OPTION_TABLE.map((d) => d.code));
  assert.equal(codes.size, OPTION_TABLE.length);
  assert.equal(new Set(OPTION_TABLE.map((d) => d.name)).size, OPTION_TABLE.length);
  for (const d of OPTION_TABLE) assert.match(d.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  for (let c = 1; c <= 76; c++) if (c !== 62 && c !== 63) assert.ok(codes.has(c), `code ${c}`);
  for (const c of [81, 82, 118, 119, 121, 150]) assert.ok(codes.has(c), `code ${c}`);
  for (const [key, code] of Object.entries(OPT)) {
    if (code !== 0 && code !== 255) assert.ok(codes.has(code), `OPT.${key}`);
  }
});

Deno.test("lookup: by name (kebab, snake, any case) and by code", () => {
  assert.equal(optionByName("domain-name-servers")?.code, 6);
  assert.equal(optionByName("DOMAIN_NAME_SERVERS")?.code, 6);
  assert.equal(optionByName("classless-static-route")?.kind, "classless-routes");
  assert.equal(optionByCode(3)?.name, "routers");
  assert.equal(optionByCode(200), undefined);
  assert.equal(optionName(200), "option-200");
});

Deno.test("encode: address lists from an array or a single string", () => {
  assert.equal(hex("domain-name-servers", ["192.0.2.53", "198.51.100.53"]), "c0000235c6336435");
  assert.equal(hex("routers", "192.0.2.1"), "c0000201");
  assert.equal(hex("subnet-mask", "255.255.255.0"), "ffffff00");
  assert.equal(hex("tftp-server-address", ["10.0.0.1"]), "0a000001");
});

Deno.test("encode: a bad address says which and how to write it", () => {
  const { problem: text, fix } = problem("routers", ["192.0.2.1", "192.0.2.300"]);
  assert.deepEqual({ problem: text, fix }, {
    problem: "'192.0.2.300' is not an IPv4 address",
    fix: 'write four decimal octets, e.g. "192.0.2.1"',
  });
  assert.match(problem("subnet-mask", ["255.0.0.0"]).problem, /not an IPv4 address/);
  assert.match(problem("domain-name-servers", []).problem, /empty/);
});

Deno.test("encode: integers with range checks", () => {
  assert.equal(hex("default-ip-ttl", 64), "40");
  assert.equal(hex("interface-mtu", 1500), "05dc");
  assert.equal(hex("arp-cache-timeout", 4294967295), "ffffffff");
  assert.equal(hex("time-offset", -3600), "fffff1f0");
  assert.equal(hex("path-mtu-plateau-table", [1500, 576]), "05dc0240");
  assert.match(problem("default-ip-ttl", 256).problem, /out of range/);
  assert.match(problem("interface-mtu", 67).fix, /from 68 to 65535/);
  assert.match(problem("arp-cache-timeout", 1.5).problem, /not a whole number/);
  assert.match(problem("arp-cache-timeout", "60").problem, /not a whole number/);
  assert.equal(hex("arp-cache-timeout", 60n), "0000003c");
});

Deno.test("encode: booleans, text and hex", () => {
  assert.equal(hex("ip-forwarding", false), "00");
  assert.equal(hex("ip-forwarding", true), "01");
  assert.match(problem("ip-forwarding", "yes").fix, /true or false/);
  assert.equal(hex("domain-name", "example.com"), toHex(new TextEncoder().encode("example.com")));
  assert.equal(hex("bootfile-name", "pxelinux.0"), "7078656c696e75782e30");
  assert.match(problem("host-name", "").problem, /empty/);
  assert.equal(hex("vendor-specific-information", "01:04:c0:00:02:01"), "0104c0000201");
  assert.match(problem("vendor-specific-information", "xyz").fix, /01:02:ab/);
  assert.equal(hex("vendor-class-identifier", "PXEClient"), "505845436c69656e74");
  assert.equal(hex("policy-filter", ["10.0.0.0", "255.0.0.0"]), "0a000000ff000000");
  assert.equal(hex("static-routes", ["10.1.0.0 192.0.2.1"]), "0a010000c0000201");
});

Deno.test("encode: classless-static-route in both forms (RFC 3442 §3 widths)", () => {
  const table = [
    { destination: "0.0.0.0/0", router: "192.0.2.1" },
    { destination: "10.17.0.0/16", router: "192.0.2.2" },
    { destination: "10.229.0.128/25", router: "192.0.2.3" },
    { destination: "192.0.2.77/32", router: "192.0.2.4" },
  ];
  const expected = "00c0000201" + "100a11c0000202" + "190ae50080c0000203" +
    "20c000024dc0000204";
  assert.equal(hex("classless-static-route", table), expected);
  const strings = table.map((r) => `${r.destination} ${r.router}`);
  assert.equal(hex("classless_static_route", strings), expected);
  assert.deepEqual(decodeOptionValue(121, encode("classless-static-route", strings)), strings);
  assert.match(problem("classless-static-route", ["10.0.0.1/8 192.0.2.1"]).fix, /no host bits/);
  assert.match(problem("classless-static-route", [{ destination: "10.0.0.0/8" }]).fix, /router/);
});

Deno.test("encode: domain-search as uncompressed labels (RFC 3397)", () => {
  assert.equal(
    hex("domain-search", ["eng.example.com", "example.com."]),
    "03656e67076578616d706c6503636f6d00" + "076578616d706c6503636f6d00",
  );
  assert.deepEqual(decodeOptionValue(119, encode("domain-search", "a.b")), ["a.b"]);
  assert.match(problem("domain-search", ["a..b"]).problem, /empty label/);
  assert.match(problem("domain-search", ["x".repeat(64) + ".com"]).problem, /63/);
});

Deno.test("encode: option-NNN takes hex for any code", () => {
  const r = encodeOptionValue("option-224", "de:ad:be:ef");
  assert.ok(r.ok);
  assert.deepEqual([r.code, toHex(r.bytes)], [224, "deadbeef"]);
  assert.equal(hex("option-6", "c0000201"), "c0000201");
  assert.match(problem("option-0", "00").fix, /1 to 254/);
  assert.match(problem("option-255", "00").fix, /1 to 254/);
  assert.match(problem("option-300", "00").problem, /not usable/);
  assert.match(problem("option-224", "zz").problem, /'zz' is not hex/);
});

Deno.test("encode: options the server owns are refused, lease times pointed elsewhere", () => {
  for (const code of [53, 54, 51, 58, 59, 55, 57, 52, 61, 82, 50]) {
    const p = problem(optionName(code), "1");
    assert.match(p.problem, /set by the server/, optionName(code));
    assert.match(problem(`option-${code}`, "01").problem, /set by the server/);
  }
  assert.match(problem("ip-address-lease-time", 3600).fix, /lease time settings/);
  assert.match(problem("server-identifier", "192.0.2.1").fix, /remove it/);
});

Deno.test("encode: unknown names suggest the closest one", () => {
  const p = problem("domain-name-server", ["192.0.2.1"]);
  assert.match(p.problem, /'domain-name-server' is not a DHCP option name/);
  assert.match(p.fix, /did you mean "domain-name-servers"/);
  assert.match(problem("frobnicate", 1).fix, /option-NNN/);
});

Deno.test("decodeOptionValue: display values per kind, hex when malformed", () => {
  assert.equal(decodeOptionValue(1, new Uint8Array([255, 255, 255, 0])), "255.255.255.0");
  assert.deepEqual(decodeOptionValue(6, new Uint8Array([1, 1, 1, 1, 8, 8, 8, 8])), [
    "1.1.1.1",
    "8.8.8.8",
  ]);
  assert.equal(decodeOptionValue(6, new Uint8Array([1, 1, 1])), "01:01:01");
  assert.equal(decodeOptionValue(53, new Uint8Array([3])), "REQUEST");
  assert.equal(decodeOptionValue(53, new Uint8Array([42])), 42);
  assert.equal(decodeOptionValue(51, new Uint8Array([0, 0, 14, 16])), 3600);
  assert.equal(decodeOptionValue(2, new Uint8Array([255, 255, 241, 240])), -3600);
  assert.deepEqual(decodeOptionValue(55, new Uint8Array([1, 3, 6])), [1, 3, 6]);
  assert.equal(decodeOptionValue(19, new Uint8Array([1])), true);
  assert.equal(decodeOptionValue(19, new Uint8Array([7])), "07");
  assert.equal(decodeOptionValue(12, new TextEncoder().encode("host\0")), "host");
  assert.equal(decodeOptionValue(61, new Uint8Array([1, 2, 0xab])), "01:02:ab");
  assert.equal(decodeOptionValue(224, new Uint8Array([1])), "01");
  assert.deepEqual(decodeOptionValue(33, encode("static-routes", ["10.0.0.0 10.0.0.1"])), [
    "10.0.0.0 10.0.0.1",
  ]);
  assert.deepEqual(decodeOptionValue(82, new Uint8Array([1, 2, 0x61, 0x62, 5, 4, 10, 0, 0, 1])), {
    "circuit-id": "61:62",
    "link-selection": "10.0.0.1",
  });
  assert.equal(decodeOptionValue(82, new Uint8Array([1, 5, 0])), "01:05:00");
  assert.equal(decodeOptionValue(121, new Uint8Array([33, 0])), "21:00");
});

Deno.test("decodeOptionValue: domain-search follows compression pointers, never loops", () => {
  // "example.com" then "eng" + pointer to offset 0 (RFC 1035 §4.1.4, as RFC 3397 allows).
  const b = new Uint8Array([
    7,
    ...new TextEncoder().encode("example"),
    3,
    ...new TextEncoder().encode("com"),
    0,
    3,
    ...new TextEncoder().encode("eng"),
    0xc0,
    0,
  ]);
  assert.deepEqual(decodeOptionValue(119, b), ["example.com", "eng.example.com"]);
  assert.equal(typeof decodeOptionValue(119, new Uint8Array([0xc0, 0])), "string");
  assert.equal(typeof decodeOptionValue(119, new Uint8Array([1, 65, 0xc0, 0])), "string");
});

Deno.test("typed readers for the core", () => {
  const bag = new Map([
    [53, new Uint8Array([MSG.REQUEST])],
    [50, new Uint8Array([10, 0, 0, 5])],
    [54, new Uint8Array([10, 0, 0])],
    [55, new Uint8Array([1, 3, 0, 3, 255, 6])],
    [57, new Uint8Array([1, 0])],
    [51, new Uint8Array([0, 0, 1, 0])],
  ]);
  assert.equal(getMessageType(bag), MSG.REQUEST);
  assert.equal(formatIpv4(getIpv4(bag, OPT.requestedIpAddress)!), "10.0.0.5");
  assert.equal(getIpv4(bag, OPT.serverIdentifier), undefined, "3 bytes is not an address");
  assert.deepEqual(getParameterRequestList(bag), [1, 3, 6]);
  assert.equal(getMaxMessageSize(bag), undefined, "256 < 576 is illegal");
  assert.equal(getU32(bag, OPT.ipAddressLeaseTime), 256);
  assert.deepEqual(getParameterRequestList(new Map()), []);
});

function encode(name: string, value: unknown): Uint8Array {
  const r = encodeOptionValue(name, value);
  if (!r.ok) throw new Error(r.problem);
  return r.bytes;
}
