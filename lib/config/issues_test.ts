import assert from "node:assert/strict";
import { closestMatch, ConfigError, editDistance, formatIssues, joinPath } from "./issues.ts";

Deno.test("formatIssues: one line per issue, line and path when known", () => {
  const out = formatIssues("tandem.toml", [
    {
      path: "subnet[1].pool[0].range",
      line: 42,
      problem: "pool ends before it starts",
      fix: "swap",
    },
    { path: "", problem: "no line", fix: "" },
  ]);
  assert.equal(
    out,
    "tandem.toml:42: subnet[1].pool[0].range: pool ends before it starts — fix: swap\n" +
      "tandem.toml: no line",
  );
});

Deno.test("ConfigError carries the issues", () => {
  const e = new ConfigError("a.toml", [{ path: "role", line: 1, problem: "bad", fix: "good" }]);
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ConfigError");
  assert.equal(e.issues.length, 1);
  assert.equal(
    e.message,
    "a.toml: 1 problem in the configuration\na.toml:1: role: bad — fix: good",
  );
});

Deno.test("joinPath renders indices in brackets", () => {
  assert.equal(joinPath(["subnet", 1, "pool", 0, "range"]), "subnet[1].pool[0].range");
  assert.equal(joinPath([]), "");
});

Deno.test("closestMatch accepts typos, not unrelated words", () => {
  const keys = ["listen_address", "port", "client_port", "interface"];
  assert.equal(closestMatch("listen_adress", keys), "listen_address");
  assert.equal(closestMatch("listen-address", keys), "listen_address");
  assert.equal(closestMatch("prot", keys), "port");
  assert.equal(closestMatch("banana", keys), undefined);
  assert.equal(editDistance("abc", "acb"), 1);
  assert.equal(editDistance("", "abc"), 3);
});
