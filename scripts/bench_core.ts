/**
 * The per-packet path without sockets: 20,000 relayed DORAs through decode, handle(), encode
 * and a SQLite commit per 32 clients. Prints time per DORA and where it went.
 *   scripts/deno run -A scripts/bench_core.ts
 */
import { handle } from "../lib/dhcp/handle.ts";
import { advancePoolCursor } from "../lib/dhcp/handle_context.ts";
import { STANDALONE_SCOPE } from "../lib/dhcp/scope.ts";
import { SqliteLeaseStore } from "../lib/platform/sqlite_store.ts";
import { decodeDhcp, encodeDhcp } from "../lib/wire/dhcp_message.ts";
import { ipv4ToBytes, parseIpv4 } from "../lib/wire/ipv4.ts";
import { MSG, OPT } from "../lib/wire/option_registry.ts";
import { parseConfig } from "../lib/config/parse_config.ts";
import { mac, request } from "../tests/helpers/udp_relay_client.ts";
const r = parseConfig(`server_id = "10.1.0.1"
[[subnet]]
cidr = "10.0.0.0/16"
[subnet.options]
routers = ["10.0.0.1"]
[[subnet.pool]]
range = "10.0.1.0-10.0.255.250"
`);
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const config = r.config;
const poolCursor = new Map<number, number>();

const dir = Deno.makeTempDirSync();
const store = SqliteLeaseStore.open(dir + "/l.db");
const giaddr = parseIpv4("10.0.0.1")!;
const N = 20000;
const nowSec = 1_700_000_000;
const t0 = performance.now();
let tHandle = 0, tApply = 0, tCodec = 0, acks = 0;
for (let b = 0; b < N; b += 32) {
  // The store's index is the decided state (group_commit.ts): each decision commits into it at
  // once; the batch's durable writes are awaited together, one transaction per 32 packets.
  const view = store;
  const done: Promise<void>[] = [];
  for (let i = b; i < b + 32; i++) {
    const c = performance.now();
    const bytes = encodeDhcp(request(MSG.DISCOVER, mac(i), giaddr, i));
    const p = decodeDhcp(bytes);
    if (!p.ok) throw 1;
    tCodec += performance.now() - c;
    const h = performance.now();
    const d = handle(p.packet, {
      config,
      leases: view,
      nowSec,
      scope: STANDALONE_SCOPE,
      poolCursor,
    });
    advancePoolCursor(poolCursor, d);
    if (d.kind !== "reply") continue;
    const a1 = performance.now();
    done.push(store.commit(d.ops));
    tApply += performance.now() - a1;
    const req = request(MSG.REQUEST, mac(i), giaddr, i, [[
      OPT.requestedIpAddress,
      ipv4ToBytes(d.reply.yiaddr),
    ], [OPT.serverIdentifier, ipv4ToBytes(config.serverId)]]);
    const d2 = handle(req, { config, leases: view, nowSec, scope: STANDALONE_SCOPE });
    tHandle += performance.now() - h;
    if (d2.kind === "reply" && d2.replyType === "ACK") acks++;
    if (d2.kind !== "drop") {
      const a2 = performance.now();
      done.push(store.commit(d2.ops));
      tApply += performance.now() - a2;
    }
    const e = performance.now();
    encodeDhcp(d.reply);
    if (d2.kind === "reply") encodeDhcp(d2.reply);
    tCodec += performance.now() - e;
  }
  const a = performance.now();
  await Promise.all(done);
  tApply += performance.now() - a;
}
const total = performance.now() - t0;
console.log({
  N,
  acks,
  totalMs: total.toFixed(0),
  perDoraUs: (total * 1000 / N).toFixed(1),
  handleMs: tHandle.toFixed(0),
  applyMs: tApply.toFixed(0),
  codecMs: tCodec.toFixed(0),
});
