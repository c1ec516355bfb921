import { equal } from "node:assert/strict";
import { checkConnect, connectAck, connectMessage, fingerprintIn } from "./handshake.ts";
import { REJECT } from "./options.ts";
import type { FailoverConfig } from "../config/config.ts";
import type { FailoverMessage } from "./messages.ts";

const fo = {
  relationshipName: "r",
  maxUnackedBndupd: 10,
  receiveTimerMs: 800,
  mcltSec: 60,
  maxClockSkewSec: 60,
} as FailoverConfig;

function connect(over: Partial<Extract<FailoverMessage, { kind: "connect" }>> = {}) {
  return {
    ...(connectMessage(fo, "fp") as Extract<FailoverMessage, { kind: "connect" }>),
    xid: 1,
    timeSec: 1000,
    ...over,
  };
}

Deno.test("checkConnect: accepts a matching CONNECT and measures the clock skew (§7.8.2)", () => {
  const r = checkConnect(connect(), fo, 990);
  equal(r.reject, undefined);
  equal(r.skewSec, 10);
  equal(fingerprintIn(connect().vendorOptions), "fp");
});

Deno.test("checkConnect: refuses a stranger, a far clock, another version", () => {
  equal(checkConnect(connect({ relationshipName: "x" }), fo, 1000).reject, REJECT.invalidPartner);
  equal(checkConnect(connect(), fo, 1000 - 61).reject, REJECT.clockSkew);
  equal(checkConnect(connect({ protocolVersion: 2 }), fo, 1000).reject, REJECT.versionMismatch);
  const ack = connectAck(fo, 7, "fp", REJECT.clockSkew);
  equal(ack.kind, "connectack");
  equal(ack.kind === "connectack" ? ack.rejectReason : 0, REJECT.clockSkew);
});
