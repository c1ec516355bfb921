import { deepEqual, equal } from "node:assert/strict";
import {
  checkConnect,
  connectAck,
  connectMessage,
  identityIn,
  identityOption,
  pairProblem,
} from "./handshake.ts";
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

const ID = identityOption("fp", "10.0.0.1", "primary");

function connect(over: Partial<Extract<FailoverMessage, { kind: "connect" }>> = {}) {
  return {
    ...(connectMessage(fo, ID, 0) as Extract<FailoverMessage, { kind: "connect" }>),
    xid: 1,
    timeSec: 1000,
    ...over,
  };
}

Deno.test("checkConnect: accepts a matching CONNECT and measures the clock skew (§7.8.2)", () => {
  const r = checkConnect(connect(), fo, 990);
  equal(r.reject, undefined);
  equal(r.skewSec, 10);
  deepEqual(identityIn(connect().vendorOptions), {
    fingerprint: "fp",
    serverId: "10.0.0.1",
    role: "primary",
  });
});

Deno.test("checkConnect: refuses a stranger, a far clock, another version", () => {
  equal(checkConnect(connect({ relationshipName: "x" }), fo, 1000).reject, REJECT.invalidPartner);
  equal(checkConnect(connect(), fo, 1000 - 61).reject, REJECT.clockSkew);
  equal(checkConnect(connect({ protocolVersion: 2 }), fo, 1000).reject, REJECT.versionMismatch);
  const ack = connectAck(fo, 7, ID, REJECT.clockSkew);
  equal(ack.kind, "connectack");
  equal(ack.kind === "connectack" ? ack.rejectReason : 0, REJECT.clockSkew);
});

Deno.test("pairProblem: both primary, both secondary, one server id; else none", () => {
  const mine = { fingerprint: "fp", serverId: "10.0.0.1", role: "primary" };
  const at = "10.0.0.2";
  const good = { fingerprint: "fp", serverId: "10.0.0.2", role: "secondary" };
  equal(pairProblem(mine, good, at), undefined);
  equal(pairProblem(mine, {}, at), undefined, "a legacy partner says nothing: no verdict");
  const says = (id: object) => pairProblem(mine, { ...good, ...id }, at) ?? "";
  equal(says({ role: "primary" }).includes('set role = "secondary" on one'), true);
  equal(
    pairProblem({ ...mine, role: "secondary" }, good, at)?.includes("also configured as secondary"),
    true,
  );
  equal(says({ serverId: "10.0.0.1" }).includes("same server_id 10.0.0.1"), true);
  // Different scopes are synced by the pair (issue #12 item 2), not refused.
  equal(pairProblem(mine, { ...good, fingerprint: "other" }, at), undefined);
});

Deno.test("connectMessage: the HBA rides in every CONNECT, ISC bit meaning (§7.8.1)", () => {
  const all = connectMessage({ ...fo, mode: "hot-standby", split: 128 }, ID, 0);
  const half = connectMessage({ ...fo, mode: "load-balancing", split: 128 }, ID, 0);
  if (all.kind !== "connect" || half.kind !== "connect") throw new Error("not a CONNECT");
  deepEqual([...(all.hba ?? [])], new Array(32).fill(0xff), "hot-standby: the primary serves all");
  deepEqual([...(half.hba ?? [])], [...new Array(16).fill(0xff), ...new Array(16).fill(0)]);
});
