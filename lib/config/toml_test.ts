import assert from "node:assert/strict";
import { parentPath, readToml } from "./toml.ts";

const TEXT = `# comment
role = "primary"
server_id = "192.0.2.10"   # trailing comment

[dhcp]
port = 67
"client_port" = 68

[[subnet]]
cidr = "192.0.2.0/24"
lease = { default_sec = 600, max_sec = 900 }
[subnet.options]
domain-name-servers = [
  "192.0.2.53",
]
[[subnet.pool]]
range = "192.0.2.10-192.0.2.20"
[[subnet.pool]]
ranges = ["192.0.2.30-192.0.2.40"]
[[subnet]]
cidr = "198.51.100.0/24"
description = """
fake = 1
"""
[[subnet.pool]]
range = "198.51.100.10-198.51.100.20"
  [subnet.pool.options]
  routers = "198.51.100.1"
[[subnet.reservation]]
ip = "198.51.100.5"
dotted.key = 1
`;

Deno.test("one parse gives the document and the line of keys, headers and array-of-tables elements", () => {
  const read = readToml(TEXT);
  assert.ok(read.ok);
  const at = read.locator;
  const cases: [string, number | undefined][] = [
    ["role", 2],
    ["server_id", 3],
    ["dhcp", 5],
    ["dhcp.port", 6],
    ["dhcp.client_port", 7],
    ["subnet", 9],
    ["subnet[0]", 9],
    ["subnet[0].cidr", 10],
    ["subnet[0].lease", 11],
    ["subnet[0].lease.max_sec", 11],
    ["subnet[0].options.domain-name-servers", 13],
    ["subnet[0].pool[0].range", 17],
    ["subnet[0].pool[1]", 18],
    ["subnet[0].pool[1].ranges[0]", 19],
    ["subnet[1].cidr", 21],
    ["subnet[1].pool[0].range", 26],
    ["subnet[1].pool[0].options.routers", 28],
    ["subnet[1].reservation[0].ip", 30],
    ["subnet[1].reservation[0].dotted.key", 31],
    ["subnet[1].reservation[0].hw_address", 29],
    ["fake", undefined],
    ["http.listen", undefined],
  ];
  for (const [path, line] of cases) assert.equal(at.lineOf(path), line, path);
});

Deno.test("parentPath strips one segment", () => {
  assert.equal(parentPath("subnet[1].pool[0].range"), "subnet[1].pool[0]");
  assert.equal(parentPath("subnet[1].pool[0]"), "subnet[1].pool");
  assert.equal(parentPath("subnet"), undefined);
});
