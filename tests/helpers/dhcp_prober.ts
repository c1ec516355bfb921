/**
 * A service prober for the e2e tests: acting as a relay agent with two helper addresses (both
 * boxes of a pair, as a router's IP helpers are), it sends a relayed DISCOVER every --every-ms
 * and writes one JSON line per probe to --out: {t, offerMs, server} (offerMs null when no OFFER
 * came within --wait-ms). It never REQUESTs, so it binds no lease; it cycles through --macs
 * client addresses so the offers it holds stay few. An oracle: it shares no code with lib/.
 *
 *   deno run --allow-net --allow-write tests/helpers/dhcp_prober.ts --giaddr 10.20.0.9 \
 *     --server 10.30.0.2 --server 10.30.0.3 --out probes.jsonl
 *
 * It runs until killed; every line is written when its probe is decided.
 */
import { parseArgs } from "node:util";
import { decodeReply, encodeRequest, macOf } from "./dhcp_load_client.ts";

const DISCOVER = 1, OFFER = 2;

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      giaddr: { type: "string" },
      server: { type: "string", multiple: true },
      out: { type: "string" },
      "every-ms": { type: "string", default: "250" },
      "wait-ms": { type: "string", default: "1000" },
      macs: { type: "string", default: "8" },
    },
  });
  if (!a.giaddr || !a.server?.length || !a.out) {
    throw new Error("--giaddr, --server (one or more) and --out are required");
  }
  const giaddr = a.giaddr, servers = a.server;
  const everyMs = Number(a["every-ms"]), waitMs = Number(a["wait-ms"]), macs = Number(a.macs);
  const out = await Deno.open(a.out, { create: true, append: true });
  const enc = new TextEncoder();
  const sock = Deno.listenDatagram({ transport: "udp", hostname: giaddr, port: 67 });
  const open = new Map<number, { t: number; timer: ReturnType<typeof setTimeout> }>();
  const write = (line: object) => out.write(enc.encode(JSON.stringify(line) + "\n"));

  (async () => {
    for (;;) {
      const [data] = await sock.receive();
      const r = decodeReply(data);
      const p = r && r.type === OFFER ? open.get(r.xid) : undefined;
      if (!r || !p) continue;
      open.delete(r.xid);
      clearTimeout(p.timer);
      await write({ t: p.t, offerMs: Date.now() - p.t, server: r.serverId });
    }
  })();

  for (let n = 0;; n++) {
    const xid = (Math.random() * 0xffffffff) >>> 0;
    const t = Date.now();
    const pkt = encodeRequest({ type: DISCOVER, xid, mac: macOf(n % macs, 0x7e), giaddr });
    const timer = setTimeout(() => {
      if (open.delete(xid)) write({ t, offerMs: null, server: null });
    }, waitMs);
    open.set(xid, { t, timer });
    for (const s of servers) {
      // A box that is down answers with ICMP unreachable: the other still may offer.
      await sock.send(pkt, { transport: "udp", hostname: s, port: 67 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

if (import.meta.main) await main();
