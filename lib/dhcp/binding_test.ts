import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emptyLease } from "../lease/lease.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import { abandonedLease, boundLease, releasedLease } from "./binding.ts";
import { classify, type DhcpRequest } from "./request.ts";
import { relayAgentInfo, TestClient, TestServer } from "../../tests/helpers/test_client.ts";
import { hex, ip } from "../../tests/helpers/test_config.ts";

const NOW = 5000;

function request(): DhcpRequest {
  const c = new TestClient(new TestServer(), {
    mac: "02:00:00:00:00:05",
    clientId: "ff05",
    hostname: "box",
    giaddr: "10.1.0.1",
    relayInfo: relayAgentInfo({ 1: hex("07") }),
  });
  const r = classify(c.packet(MSG.REQUEST, {
    options: {
      [OPT.requestedIpAddress]: hex("0a01000a"),
      [OPT.vendorClassIdentifier]: new TextEncoder().encode("MSFT 5.0"),
    },
  }));
  if (!r.ok) throw new Error(r.reason);
  return r.request;
}

Deno.test("boundLease: client fields, times, failover fields kept", () => {
  const existing = {
    ...emptyLease(ip("10.1.0.10"), 2, "free", 0),
    ackedPotentialEndSec: 777,
    potentialEndSec: 888,
    pendingUpdate: true,
  };
  const l = boundLease({
    req: request(),
    ip: ip("10.1.0.10"),
    subnetId: 2,
    endSec: NOW + 60,
    existing,
    reservedHostname: "ignored",
    nowSec: NOW,
  });
  assertEquals(
    [l.state, l.clientKey, l.hwType, l.hwAddr, l.clientId, l.hostname, l.vendorClass, l.relayInfo],
    ["active", "id:ff05", 1, "020000000005", "ff05", "box", "MSFT 5.0", "010107"],
  );
  assertEquals([l.startSec, l.endSec, l.clttSec, l.subnetId], [NOW, NOW + 60, NOW, 2]);
  assertEquals([l.ackedPotentialEndSec, l.potentialEndSec, l.pendingUpdate], [777, 888, true]);
  // A renewal of the same live binding keeps its start.
  const renewed = boundLease({
    req: request(),
    ip: l.ip,
    subnetId: 2,
    endSec: NOW + 120,
    existing: l,
    reservedHostname: undefined,
    nowSec: NOW + 30,
  });
  assertEquals([renewed.startSec, renewed.endSec, renewed.clttSec], [NOW, NOW + 120, NOW + 30]);
});

Deno.test("releasedLease keeps the client; abandonedLease names none", () => {
  const l = boundLease({
    req: request(),
    ip: ip("10.1.0.10"),
    subnetId: 2,
    endSec: NOW + 60,
    existing: undefined,
    reservedHostname: undefined,
    nowSec: NOW,
  });
  const r = releasedLease(l, NOW + 10);
  assertEquals([r.state, r.clientKey, r.endSec, r.startSec], [
    "released",
    "id:ff05",
    NOW + 10,
    NOW + 10,
  ]);
  const a = abandonedLease({ ...l, ackedPotentialEndSec: 9 }, l.ip, 2, NOW, 600);
  assertEquals([a.state, a.clientKey, a.hwAddr, a.endSec, a.ackedPotentialEndSec], [
    "abandoned",
    "",
    "",
    NOW + 600,
    9,
  ]);
});
