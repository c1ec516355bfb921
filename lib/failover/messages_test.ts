import { ipv4, parseIpv4 } from "../wire/ipv4.ts";
import { nativeHmacSha256With as hmacSha256With } from "../platform/hmac_native.ts";
import {
  decodeFailover,
  encodeFailover,
  type FailoverMessage,
  packBindingUpdates,
} from "./messages.ts";
import { FrameReader } from "./frame_reader.ts";
import { type BindingUpdate, bindingUpdateSize } from "./binding_codec.ts";
import { IP_FLAG_BOOTP, IP_FLAG_RESERVED, REJECT } from "./options.ts";
import { assert, assertEquals } from "../../tests/helpers/loose_assert.ts";

const ip = (s: string) => parseIpv4(s) ?? ipv4(0);
const T = 1_700_000_000;
const secret = hmacSha256With("s3cret");

const active: BindingUpdate = {
  ip: ip("10.0.0.10"),
  status: "active",
  ipFlags: IP_FLAG_RESERVED | IP_FLAG_BOOTP,
  clientId: new Uint8Array([1, 0, 0x16, 0x3e, 1, 2, 3]),
  hardware: { htype: 1, addr: new Uint8Array([0, 0x16, 0x3e, 1, 2, 3]) },
  clttSec: T,
  leaseEndSec: T + 3600,
  potentialEndSec: T + 7200,
  stateStartSec: T,
  ddns: { flags: 5, fqdn: new Uint8Array([4, 104, 111, 115, 116, 0]) },
  hostname: "host-a",
  vendorClass: "MSFT 5.0",
  relayAgentInfo: new Uint8Array([1, 3, 0x61, 0x62, 0x63]),
  replyOptions: new Map([[51, new Uint8Array([0, 0, 14, 16])]]),
};

const samples: FailoverMessage[] = [
  { kind: "poolreq", xid: 1, timeSec: T },
  { kind: "poolresp", xid: 1, timeSec: T, addressesTransferred: 42 },
  {
    kind: "bndupd",
    xid: 2,
    timeSec: T,
    bindings: [active, { ip: ip("10.0.0.11"), status: "backup" }, {
      ip: ip("10.0.0.12"),
      status: "released",
      clttSec: T - 5,
      stateStartSec: T - 5,
    }],
  },
  {
    kind: "bndack",
    xid: 2,
    timeSec: T,
    acks: [{ ip: ip("10.0.0.10") }, {
      ip: ip("10.0.0.11"),
      rejectReason: REJECT.fatalConflict,
      message: "in use",
    }],
  },
  {
    kind: "connect",
    xid: 3,
    timeSec: T,
    relationshipName: "dhcp-pair",
    maxUnackedBndupd: 10,
    receiveTimerSec: 60,
    vendorClass: "tandem-1",
    protocolVersion: 1,
    mcltSec: 3600,
    hba: new Uint8Array(32).fill(0xff, 0, 16),
    tlsRequest: 0,
    vendorOptions: new Map([[1, new Uint8Array([0xab, 0xcd])]]),
  },
  {
    kind: "connectack",
    xid: 3,
    timeSec: T,
    relationshipName: "dhcp-pair",
    protocolVersion: 1,
    maxUnackedBndupd: 10,
    receiveTimerSec: 60,
    vendorClass: "tandem-1",
  },
  {
    kind: "connectack",
    xid: 4,
    timeSec: T,
    relationshipName: "dhcp-pair",
    protocolVersion: 1,
    rejectReason: REJECT.clockSkew,
    message: "clocks 90 s apart",
  },
  { kind: "updreqall", xid: 5, timeSec: T },
  { kind: "upddone", xid: 5, timeSec: T },
  { kind: "updreq", xid: 6, timeSec: T },
  {
    kind: "state",
    xid: 7,
    timeSec: T,
    serverState: "recover-wait",
    startup: true,
    startTimeOfStateSec: T - 100,
  },
  { kind: "contact", xid: 8, timeSec: T },
  { kind: "disconnect", xid: 9, timeSec: T, rejectReason: REJECT.noTraffic, message: "bye" },
];

Deno.test("every message kind round-trips, with and without a digest", () => {
  for (const digest of [undefined, secret]) {
    const opts = digest === undefined ? {} : { digest };
    for (const m of samples) {
      const bytes = encodeFailover(m, opts);
      assertEquals(bytes[3], 12, "payload offset sent is 12 (isc-notes §3.1)");
      assertEquals((bytes[0]! << 8) | bytes[1]!, bytes.length);
      const r = decodeFailover(bytes, opts);
      assert(r.ok, `${m.kind}: ${JSON.stringify(r)}`);
      assertEquals(r.consumed, bytes.length);
      assertEquals(r.msg, m, m.kind);
    }
  }
});

Deno.test("RECOVER-WAIT is 254 on the wire; STATE carries the STARTUP flag", () => {
  const b = encodeFailover(samples[10]!);
  // options: 24 (server-state) len 1 value 254, 23 (server-flags) len 1 value 1
  assertEquals([...b.subarray(12, 22)], [0, 24, 0, 1, 254, 0, 23, 0, 1, 1]);
});

/** An ISC-style CONNECT built by hand: no digest, payload offset 12, hex per §6.1/§12. */
function iscConnect(extraHeader = 0, typeByte = 5): Uint8Array {
  const opts = [
    [0, 22, 0, 4, ...new TextEncoder().encode("pair")], // relationship-name
    [0, 14, 0, 4, 0, 0, 0, 10], // max-unacked-bndupd 10
    [0, 19, 0, 4, 0, 0, 0, 60], // receive-timer 60
    [0, 28, 0, 5, ...new TextEncoder().encode("isc-4")], // vendor-class-identifier
    [0, 20, 0, 1, 1], // protocol-version 1
    [0, 27, 0, 1, 0], // TLS-request 0
    [0, 15, 0, 4, 0, 0, 14, 16], // MCLT 3600
    [0, 11, 0, 32, ...new Array(32).fill(0)], // hash-bucket-assignment
    [0x01, 0x23, 0, 2, 9, 9], // unknown option 291: skipped (§6.1)
  ].flat();
  const len = 12 + extraHeader + opts.length;
  return new Uint8Array([
    len >> 8,
    len & 255,
    typeByte,
    12 + extraHeader,
    0x65,
    0x53,
    0xf1,
    0x00, // time
    0,
    0,
    0,
    77, // xid
    ...new Array(extraHeader).fill(0xee),
    ...opts,
  ]);
}

Deno.test("ISC-style CONNECT without digest decodes when no secret is configured", () => {
  const r = decodeFailover(iscConnect());
  assert(r.ok);
  assert(r.msg.kind === "connect");
  assertEquals(r.msg.relationshipName, "pair");
  assertEquals(r.msg.mcltSec, 3600);
  assertEquals(r.msg.vendorClass, "isc-4");
  assertEquals(r.msg.xid, 77);
  assertEquals(r.msg.timeSec, 0x6553f100);
  assertEquals(r.msg.hba?.length, 32);
});

Deno.test("payload offset beyond 12 is skipped; below 12 is an error", () => {
  const r = decodeFailover(iscConnect(4));
  assert(r.ok && r.msg.kind === "connect" && r.msg.relationshipName === "pair");
  const bad = iscConnect();
  bad[3] = 8; // the draft's literal "8" (isc-notes §3.1)
  const e = decodeFailover(bad);
  assert(!e.ok && e.error.kind === "bad-payload-offset" && e.error.fatal);
});

Deno.test("message types: unknown 0-127 is fatal, 128-255 is skipped", () => {
  const r = decodeFailover(iscConnect(0, 50));
  assert(!r.ok && r.error.kind === "unknown-type" && r.error.fatal);
  const s = decodeFailover(iscConnect(0, 201));
  assert(!s.ok && s.error.kind === "ignored-type" && !s.error.fatal);
  assertEquals(s.consumed, iscConnect().length);
  // 200 is Tandem's own (relay coverage): vendor options only, round-trips.
  const mine = {
    kind: "tandem",
    xid: 9,
    timeSec: 1,
    vendorOptions: new Map([[1, new Uint8Array(16)]]),
  } as const;
  const back = decodeFailover(encodeFailover(mine));
  assert(back.ok && back.msg.kind === "tandem", JSON.stringify(back));
  assertEquals([...back.msg.vendorOptions], [...mine.vendorOptions]);
});

Deno.test("digest: missing, tampered, wrong secret, and unexpected", () => {
  const plain = encodeFailover(samples[11]!);
  const miss = decodeFailover(plain, { digest: secret });
  assert(!miss.ok && miss.error.kind === "missing-digest");
  assertEquals(miss.error.rejectReason, REJECT.missingDigest);
  const signed = encodeFailover(samples[2]!, { digest: secret });
  const tampered = signed.slice();
  tampered[20] = tampered[20]! ^ 1;
  const bad = decodeFailover(tampered, { digest: secret });
  assert(!bad.ok && bad.error.kind === "bad-digest");
  assertEquals(bad.error.rejectReason, REJECT.digestMismatch);
  const other = decodeFailover(signed, { digest: hmacSha256With("other") });
  assert(!other.ok && other.error.kind === "bad-digest");
  const unexpected = decodeFailover(signed);
  assert(!unexpected.ok && unexpected.error.kind === "unexpected-digest");
  assertEquals(unexpected.error.rejectReason, REJECT.digestNotConfigured);
});

Deno.test("BNDUPD: malformed transactions become rejects, others still decode", () => {
  const good = encodeFailover({ kind: "bndupd", xid: 1, timeSec: T, bindings: [active] });
  // Append a second transaction: assigned-IP-address 10.0.0.99 with no binding-status.
  const extra = [0, 2, 0, 4, 10, 0, 0, 99, 0, 6, 0, 4, 0, 0, 0, 1];
  const msg = new Uint8Array([...good, ...extra]);
  msg[0] = msg.length >> 8;
  msg[1] = msg.length & 255;
  const r = decodeFailover(msg);
  assert(r.ok && r.msg.kind === "bndupd");
  assertEquals(r.msg.bindings, [active]);
  assertEquals(r.msg.rejected?.[0]?.ip, ip("10.0.0.99"));
  assertEquals(r.msg.rejected?.[0]?.rejectReason, REJECT.missingBindingInformation);
});

Deno.test("IP-flags with length 1 is accepted (isc-notes §3.3)", () => {
  const bytes = [0, 2, 0, 4, 10, 0, 0, 5, 0, 3, 0, 1, 2, 0, 12, 0, 1, 1];
  const len = 12 + bytes.length;
  const r = decodeFailover(
    new Uint8Array([len >> 8, len & 255, 3, 12, 0, 0, 0, 0, 0, 0, 0, 1, ...bytes]),
  );
  assert(r.ok && r.msg.kind === "bndupd");
  assertEquals(r.msg.bindings[0]?.ipFlags, 1);
  assertEquals(r.msg.bindings[0]?.status, "active");
});

Deno.test("FrameReader: byte-at-a-time, several per chunk, garbage length", () => {
  const a = encodeFailover(samples[2]!, { digest: secret });
  const b = encodeFailover(samples[11]!, { digest: secret });
  const stream = new Uint8Array([...a, ...b, ...a]);
  const r1 = new FrameReader({ digest: secret });
  const got: string[] = [];
  for (const byte of stream) {
    for (const it of r1.push(new Uint8Array([byte]))) got.push(it.ok ? it.msg.kind : "err");
  }
  assertEquals(got, ["bndupd", "contact", "bndupd"]);
  const r2 = new FrameReader({ digest: secret });
  assertEquals(r2.push(stream).length, 3);
  const r3 = new FrameReader();
  const items = r3.push(new Uint8Array([0, 5, 1, 2, 3]));
  assert(items.length === 1 && !items[0]!.ok && items[0]!.error.kind === "bad-length");
  assertEquals(r3.push(a), [], "a failed reader stays failed");
  assertEquals(r3.failed?.kind, "bad-length");
  const big = new FrameReader().push(new Uint8Array([0x08, 0x01]));
  assert(!big[0]!.ok && big[0]!.error.kind === "bad-length");
});

Deno.test("FrameReader skips an optional unknown type and keeps going", () => {
  const r = new FrameReader();
  const items = r.push(new Uint8Array([...iscConnect(0, 201), ...iscConnect()]));
  assertEquals(items.map((i) => (i.ok ? i.msg.kind : i.error.kind)), ["ignored-type", "connect"]);
});

Deno.test("encode refuses > 2048 bytes; packBindingUpdates keeps batches under it", () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ ...active, ip: ipv4(0x0a000000 + i) }));
  let threw = false;
  try {
    encodeFailover({ kind: "bndupd", xid: 1, timeSec: T, bindings: many });
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw);
  const batches = packBindingUpdates(many);
  assert(batches.length > 1);
  assertEquals(batches.flat().length, 60);
  for (const bs of batches) {
    const bytes = encodeFailover({ kind: "bndupd", xid: 1, timeSec: T, bindings: bs }, {
      digest: secret,
    });
    assert(bytes.length <= 2048 && bs.length >= 1);
  }
  assert(bindingUpdateSize(active) > 60);
});

Deno.test("decode never throws on arbitrary bytes (deterministic fuzz)", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const base = samples.map((m) => encodeFailover(m));
  for (let i = 0; i < 5000; i++) {
    const src = base[i % base.length]!.slice();
    for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
      src[Math.floor(rnd() * src.length)] = Math.floor(rnd() * 256);
    }
    const cut = src.subarray(0, Math.floor(rnd() * (src.length + 1)));
    decodeFailover(cut);
    decodeFailover(src, { digest: secret });
    new FrameReader().push(src);
  }
});
