/**
 * Fuzzes the DHCPv4 codec with 200,000 deterministic hostile inputs (tests/helpers/
 * packet_fuzzer.ts): decode must never throw and must return a typed error or a packet; every
 * decoded packet must encode, and decode(encode(p)) must give p back (options the size limit
 * dropped aside) with encode stable on the second pass.
 */
import assert from "node:assert/strict";
import {
  decodeDhcp,
  type DecodeErrorKind,
  encodeDhcp,
  encodeDhcpDetailed,
} from "../lib/wire/dhcp_message.ts";
import { bytesEqual } from "../lib/wire/bytes.ts";
import { fuzzDhcpInputs, type Strategy } from "./helpers/packet_fuzzer.ts";

const COUNT = 200_000;
const SEED = 0x7a4d3e;

Deno.test(`codec fuzz: ${COUNT} generated packets`, () => {
  let decoded = 0;
  let roundTrips = 0;
  const errors = new Map<DecodeErrorKind, number>();
  const byStrategy = new Map<Strategy, { ok: number; err: number }>();
  fuzzDhcpInputs(COUNT, SEED, (bytes, index, strategy) => {
    const where = `input #${index} (${strategy}, seed ${SEED})`;
    const tally = byStrategy.get(strategy) ?? { ok: 0, err: 0 };
    byStrategy.set(strategy, tally);
    const r = decodeDhcp(bytes);
    if (!r.ok) {
      tally.err++;
      errors.set(r.error.kind, (errors.get(r.error.kind) ?? 0) + 1);
      assert.ok(r.error.offset >= 0 && r.error.offset <= bytes.length, `${where}: error offset`);
      return;
    }
    tally.ok++;
    decoded++;
    // Default size: never more than 576 - 28 bytes of DHCP message.
    assert.ok(encodeDhcp(r.packet).length <= 548, `${where}: 576-byte limit`);
    const first = encodeDhcpDetailed(r.packet, { maxMessageSize: 65535 });
    const again = decodeDhcp(first.bytes);
    assert.ok(again.ok, `${where}: re-decode failed: ${!again.ok && again.error.message}`);
    if (first.dropped.length === 0) {
      assert.deepEqual(again.packet, r.packet, `${where}: decode(encode(p)) != p`);
      roundTrips++;
    } else {
      for (const code of first.dropped) assert.ok(!again.packet.options.has(code), where);
    }
    const second = encodeDhcp(again.packet, { maxMessageSize: 65535 });
    assert.ok(bytesEqual(second, first.bytes), `${where}: encoding not stable`);
  });
  console.log(
    `decoded ${decoded}, round-tripped ${roundTrips}, errors:`,
    Object.fromEntries(errors),
    "\nper strategy:",
    Object.fromEntries(byStrategy),
  );
  // The generator must exercise both sides, and every error kind decoding can produce.
  assert.ok(decoded > COUNT * 0.2, "too few inputs decoded: the generator is broken");
  assert.ok(COUNT - decoded > COUNT * 0.2, "too few inputs rejected: the generator is too tame");
  for (
    const kind of [
      "too-short",
      "bad-magic-cookie",
      "bad-op",
      "truncated-option",
      "bad-overload",
      "missing-end",
    ] as const
  ) {
    assert.ok((errors.get(kind) ?? 0) > 0, `no input produced ${kind}`);
  }
});

Deno.test("codec fuzz: generator is deterministic", () => {
  const digest = (seed: number) => {
    let h = 0;
    fuzzDhcpInputs(500, seed, (b) => {
      for (const x of b) h = (Math.imul(h, 31) + x) | 0;
    });
    return h;
  };
  assert.equal(digest(1), digest(1));
  assert.notEqual(digest(1), digest(2));
});
