import { equal } from "node:assert/strict";
import { hostNameOrEmpty, printableOrEmpty, validHostName } from "./text_fields.ts";

Deno.test("host names: RFC 1123 labels pass, anything else is dropped", () => {
  for (
    const ok of ["a", "laptop-7", "3com", "pc1.example.org", "pc1.example.org.", "A".repeat(63)]
  ) {
    equal(validHostName(ok), true, ok);
  }
  const bad = [
    "",
    "-lead",
    "trail-",
    "two..dots",
    "sp ace",
    "under_score",
    "tab\t",
    "nul\0",
    "esc\x1b[31m",
    "ünï",
    "A".repeat(64),
    `${"a".repeat(60)}.`.repeat(5),
    "a;rm -rf /",
  ];
  for (const b of bad) equal(hostNameOrEmpty(b), "", JSON.stringify(b));
});

Deno.test("vendor class: printable ASCII up to 255 octets, else dropped", () => {
  equal(printableOrEmpty("MSFT 5.0"), "MSFT 5.0");
  equal(printableOrEmpty("udhcp 1.36.1"), "udhcp 1.36.1");
  equal(printableOrEmpty("bad\nline"), "");
  equal(printableOrEmpty("x".repeat(256)), "");
});
