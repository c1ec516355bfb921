import { deepEqual, equal } from "node:assert/strict";
import { expiryEvents, leaseEventsOf } from "./lease_events.ts";
import { mac, request } from "../../tests/helpers/udp_relay_client.ts";
import { emptyLease } from "../lease/lease.ts";
import { MSG } from "../wire/option_registry.ts";
import { parseIpv4 } from "../wire/ipv4.ts";
import type { Decision } from "../dhcp/decision.ts";

const giaddr = parseIpv4("10.1.2.1")!;
const ip = parseIpv4("10.1.2.30")!;
const reply = (replyType: "ACK" | "NAK") => ({ kind: "reply", replyType } as unknown as Decision);
const none = { kind: "no-reply", ops: [] } as Decision;
// Option 82 with circuit id "eth0/1/7" (sub-option 1) and a remote id (sub-option 2).
const circuit = new TextEncoder().encode("eth0/1/7");
const opt82 = new Uint8Array([1, circuit.length, ...circuit, 2, 2, 0xab, 0xcd]);

Deno.test("lease events: an ACK says address, MAC, client id, host name, relay, circuit, box", () => {
  const p = request(MSG.REQUEST, mac(5), giaddr, 1, [[61, new Uint8Array([1, 2, 3])], [82, opt82]]);
  const l = { ...emptyLease(ip, 1, "active", 0), hostname: "printer-3", endSec: 1_800_000_000 };
  deepEqual(leaseEventsOf(p, reply("ACK"), [l], "10.1.0.5"), [{
    event: "lease.ack",
    props: {
      ip: "10.1.2.30",
      mac: "52:54:00:00:00:05",
      box: "10.1.0.5",
      client_id: "010203",
      relay: "10.1.2.1",
      circuit_id: "eth0/1/7",
      hostname: "printer-3",
      until: "2027-01-15T08:00:00.000Z",
    },
  }]);
});

Deno.test("lease events: NAK, DECLINE, RELEASE and expiry; nothing for an OFFER's hold", () => {
  const nak = request(MSG.REQUEST, mac(6), giaddr, 2, [[50, new Uint8Array([10, 1, 2, 31])]]);
  deepEqual(leaseEventsOf(nak, reply("NAK"), [], "b").map((e) => [e.event, e.props.ip]), [
    ["lease.nak", "10.1.2.31"],
  ]);
  const decline = request(MSG.DECLINE, mac(7), giaddr, 3);
  const abandoned = emptyLease(ip, 1, "abandoned", 0);
  equal(leaseEventsOf(decline, none, [abandoned], "b")[0]?.event, "lease.decline");
  const release = request(MSG.RELEASE, mac(8), giaddr, 4);
  equal(
    leaseEventsOf(release, none, [emptyLease(ip, 1, "released", 0)], "b")[0]?.event,
    "lease.release",
  );
  const discover = request(MSG.DISCOVER, mac(9), giaddr, 5);
  deepEqual(leaseEventsOf(discover, none, [], "b"), []);
  const expired = expiryEvents(
    [{ ...emptyLease(ip, 1, "expired", 0), hwAddr: "525400000009" }],
    "b",
  );
  // The same MAC form as the ACK's (a log search for one MAC finds every event of it).
  deepEqual(expired.map((e) => [e.event, e.props.state, e.props.mac]), [
    ["lease.expire", "expired", "52:54:00:00:00:09"],
  ]);
});
