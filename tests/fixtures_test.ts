import assert from "node:assert/strict";
import { decodeDhcp, type DhcpPacket, encodeDhcp } from "../lib/wire/dhcp_message.ts";
import { formatIpv4 } from "../lib/wire/ipv4.ts";
import { getMessageType, getParameterRequestList, MSG, OPT } from "../lib/wire/option_registry.ts";
import { clientKey, hwAddrHex } from "../lib/wire/client_key.ts";
import { parseRelayAgentInformation } from "../lib/wire/relay_agent.ts";
import { toHex } from "../lib/wire/bytes.ts";
import {
  DHCLIENT_INIT_REBOOT_REQUEST,
  DHCPCD_DISCOVER,
  DHCRELAY_RELAYED_DISCOVER,
  fixtureBytes,
  FIXTURES,
  PERFDHCP_DISCOVER,
  UDHCPC_DISCOVER,
} from "./fixtures/packets.ts";

function decodeOk(hex: string): DhcpPacket {
  const r = decodeDhcp(fixtureBytes(hex));
  if (!r.ok) throw new Error(`decode failed: ${r.error.kind} at ${r.error.offset}`);
  return r.packet;
}

for (const f of FIXTURES) {
  Deno.test(`fixture ${f.name}: decodes with the key fields`, () => {
    const p = decodeOk(f.hex);
    assert.equal(p.op, 1);
    assert.equal(p.htype, 1);
    assert.equal(p.hlen, 6);
    const type = getMessageType(p.options);
    const expected = f.name.includes("REQUEST") ? MSG.REQUEST : MSG.DISCOVER;
    assert.equal(type, expected);
    assert.ok(getParameterRequestList(p.options).length > 0, "option 55 present");
    const mac = f.client === "perfdhcp" ? "00:0c:01:02:03:04" : "02:00:5e:10:00:01";
    assert.equal(hwAddrHex(p), mac);
  });

  Deno.test(`fixture ${f.name}: encode(decode(x)) round-trips`, () => {
    const bytes = fixtureBytes(f.hex);
    const p = decodeOk(f.hex);
    const again = encodeDhcp(p, { maxMessageSize: 1500 });
    const q = decodeDhcp(again);
    assert.ok(q.ok);
    assert.deepEqual(q.packet, p);
    assert.deepEqual([...q.packet.options.keys()], [...p.options.keys()], "option order kept");
    // These clients write 53 first, 82 last and pad with zeros, so the bytes are identical up
    // to the 300-byte BOOTP minimum the encoder pads to.
    assert.equal(toHex(again.subarray(0, bytes.length)), toHex(bytes));
    assert.ok(again.subarray(bytes.length).every((b) => b === 0));
    assert.equal(again.length, Math.max(300, bytes.length));
  });
}

Deno.test("fixture dhcrelay: giaddr and option 82 circuit-id", () => {
  const p = decodeOk(DHCRELAY_RELAYED_DISCOVER);
  assert.equal(formatIpv4(p.giaddr), "10.99.1.1");
  assert.equal(p.hops, 1);
  assert.equal([...p.options.keys()].at(-1), OPT.relayAgentInformation);
  const r = parseRelayAgentInformation(p.options.get(OPT.relayAgentInformation)!);
  assert.ok(r.ok);
  assert.equal(new TextDecoder().decode(r.info.circuitId), "tfx-r0");
  assert.equal(r.info.remoteId, undefined);
});

Deno.test("fixture dhclient INIT-REBOOT: requested address, no server id, ciaddr 0", () => {
  const p = decodeOk(DHCLIENT_INIT_REBOOT_REQUEST);
  assert.equal(toHex(p.options.get(OPT.requestedIpAddress)!), "0a630132");
  assert.equal(p.options.has(OPT.serverIdentifier), false);
  assert.equal(p.ciaddr, 0);
});

Deno.test("fixture udhcpc and perfdhcp: client id keys, others by hardware address", () => {
  assert.equal(clientKey(decodeOk(UDHCPC_DISCOVER)), "id:0102005e100001");
  assert.equal(clientKey(decodeOk(PERFDHCP_DISCOVER)), "id:01000c01020304");
  assert.equal(clientKey(decodeOk(DHCPCD_DISCOVER)), "hw:01:02005e100001");
  assert.equal(formatIpv4(decodeOk(PERFDHCP_DISCOVER).giaddr), "10.99.1.200");
});
