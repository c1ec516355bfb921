import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BOOTREPLY } from "../wire/dhcp_message.ts";
import { MSG, OPT } from "../wire/option_registry.ts";
import { acceptPacket, answerKind, scopeFilter, serverIdFilter } from "./accept.ts";
import { classify, type DhcpRequest } from "./request.ts";
import { STANDALONE_SCOPE } from "./scope.ts";
import { TestClient, TestServer } from "../../tests/helpers/test_client.ts";
import { hex, ip } from "../../tests/helpers/test_config.ts";

const client = new TestClient(new TestServer());
const withId = new TestClient(new TestServer(), { clientId: "ff01" });

function req(type: number, options: Record<number, Uint8Array> = {}, ciaddr = 0): DhcpRequest {
  const r = classify(
    client.packet(type, { options, ciaddr: ip(ciaddr === 0 ? "0.0.0.0" : "10.0.0.5") }),
  );
  if (!r.ok) throw new Error(r.reason);
  return r.request;
}

Deno.test("acceptPacket: op, option 53, client message types, hlen", () => {
  const p = client.packet(MSG.DISCOVER);
  assertEquals(acceptPacket(p), undefined);
  assertEquals(acceptPacket({ ...p, op: BOOTREPLY }), "not-a-request");
  assertEquals(acceptPacket({ ...p, options: new Map() }), "no-message-type");
  for (const t of [MSG.OFFER, MSG.ACK, MSG.NAK, 0, 18]) {
    assertEquals(acceptPacket(client.packet(t)), "unknown-message-type");
  }
  assertEquals(acceptPacket({ ...p, hlen: 0 }), "bad-hlen");
  assertEquals(acceptPacket({ ...p, hlen: 17 }), "bad-hlen");
  // RFC 2131 §4.2: a client id identifies the client without chaddr.
  assertEquals(acceptPacket({ ...withId.packet(MSG.DISCOVER), hlen: 0 }), undefined);
});

Deno.test("serverIdFilter: another server's id is not for us; none is accepted", () => {
  const ours = ip("10.0.0.1");
  assertEquals(serverIdFilter(req(MSG.RELEASE, {}, 1), ours), undefined);
  assertEquals(
    serverIdFilter(req(MSG.RELEASE, { [OPT.serverIdentifier]: hex("0a000001") }, 1), ours),
    undefined,
  );
  assertEquals(
    serverIdFilter(req(MSG.RELEASE, { [OPT.serverIdentifier]: hex("0a000002") }, 1), ours),
    "not-for-us",
  );
});

Deno.test("answerKind and scopeFilter: new clients vs renewals", () => {
  const selecting = req(MSG.REQUEST, {
    [OPT.serverIdentifier]: hex("0a000001"),
    [OPT.requestedIpAddress]: hex("0a000064"),
  });
  assertEquals(answerKind(req(MSG.DISCOVER)), "new");
  assertEquals(answerKind(selecting), "new");
  assertEquals(answerKind(req(MSG.REQUEST, { [OPT.requestedIpAddress]: hex("0a000064") })), "new");
  assertEquals(answerKind(req(MSG.REQUEST, {}, 1)), "renew");
  assertEquals(answerKind(req(MSG.INFORM, {}, 1)), "renew");
  assertEquals(scopeFilter(selecting, STANDALONE_SCOPE), undefined);
  const seen: string[] = [];
  const picky = {
    ...STANDALONE_SCOPE,
    answers: (
      _k: Uint8Array,
      _s: number,
      kind: "new" | "renew",
    ) => (seen.push(kind), kind === "renew"),
  };
  assertEquals(scopeFilter(selecting, picky), "not-our-client");
  assertEquals(scopeFilter(req(MSG.REQUEST, {}, 1), picky), undefined);
  assertEquals(seen, ["new", "renew"]);
});
