/**
 * A DHCP load generator that acts as a relay agent: bound to giaddr:67, it runs full DORA for
 * many simulated clients (distinct chaddrs) and appends every DHCPACK it receives, as one JSON
 * line {mac, ip, t}, to --out the moment it arrives. The crash test reads that file as the
 * clients' own record of what was acknowledged. Deliberately independent of lib/wire (an oracle
 * must not share the code it checks).
 *
 *   deno run --allow-net --allow-read --allow-write tests/helpers/dhcp_load_client.ts \
 *     --server 10.10.0.2 --giaddr 10.20.0.1 --clients 2000 --window 64 --seconds 20 --out acks.jsonl
 *
 * Retries: a step unanswered for --timeout-ms restarts the client at DISCOVER (new xid), as a
 * real client would after a server crash. Each client stops at its first ACK.
 */
import { parseArgs } from "node:util";

const DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6;
const MAGIC = [99, 130, 83, 99];

function ipBytes(ip: string): number[] {
  return ip.split(".").map(Number);
}
function ipText(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}
export function macOf(index: number, salt: number): number[] {
  return [
    0x02,
    salt & 0xff,
    (index >>> 24) & 0xff,
    (index >>> 16) & 0xff,
    (index >>> 8) & 0xff,
    index & 0xff,
  ];
}
export function macText(mac: readonly number[]): string {
  return mac.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** BOOTREQUEST as a relay forwards it (hops 1, giaddr set), padded to 300 bytes. */
export function encodeRequest(p: {
  type: number;
  xid: number;
  mac: readonly number[];
  giaddr: string;
  requested?: string;
  serverId?: string;
}): Uint8Array {
  const b = new Uint8Array(300);
  b.set([1, 1, 6, 1], 0); // op BOOTREQUEST, htype Ethernet, hlen 6, hops 1
  new DataView(b.buffer).setUint32(4, p.xid);
  b.set(ipBytes(p.giaddr), 24);
  b.set(p.mac, 28);
  b.set(MAGIC, 236);
  const opts = [53, 1, p.type];
  if (p.requested) opts.push(50, 4, ...ipBytes(p.requested));
  if (p.serverId) opts.push(54, 4, ...ipBytes(p.serverId));
  opts.push(55, 4, 1, 3, 6, 51, 255);
  b.set(opts, 240);
  return b;
}

export interface Reply {
  xid: number;
  type: number;
  yiaddr: string;
  mac: string;
  serverId: string;
}

/** Parses a BOOTREPLY; undefined for anything malformed. */
export function decodeReply(b: Uint8Array): Reply | undefined {
  if (b.length < 241 || b[0] !== 2 || MAGIC.some((m, i) => b[236 + i] !== m)) return undefined;
  let type = 0, serverId = "";
  for (let i = 240; i < b.length;) {
    const code = b[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = b[i + 1] ?? 0;
    if (i + 2 + len > b.length) return undefined;
    if (code === 53 && len === 1) type = b[i + 2]!;
    if (code === 54 && len === 4) serverId = ipText(b, i + 2);
    i += 2 + len;
  }
  const mac = macText([...b.subarray(28, 34)]);
  const xid = new DataView(b.buffer, b.byteOffset).getUint32(4);
  return { xid, type, yiaddr: ipText(b, 16), mac, serverId };
}

interface ClientState {
  index: number;
  mac: number[];
  xid: number;
  step: "discover" | "request";
  offered: string;
  serverId: string;
  sentAt: number;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      server: { type: "string" },
      giaddr: { type: "string" },
      clients: { type: "string", default: "1000" },
      window: { type: "string", default: "64" },
      seconds: { type: "string", default: "20" },
      "timeout-ms": { type: "string", default: "1000" },
      salt: { type: "string", default: "204" },
      out: { type: "string" },
    },
  });
  if (!a.server || !a.giaddr || !a.out) {
    throw new Error("--server, --giaddr and --out are required");
  }
  const server = a.server, giaddr = a.giaddr;
  const total = Number(a.clients), window = Number(a.window), timeoutMs = Number(a["timeout-ms"]);
  const deadline = Date.now() + Number(a.seconds) * 1000;
  const salt = Number(a.salt);
  const out = await Deno.open(a.out, { create: true, append: true });
  const enc = new TextEncoder();
  const sock = Deno.listenDatagram({ transport: "udp", hostname: giaddr, port: 67 });
  const dest: Deno.NetAddr = { transport: "udp", hostname: server, port: 67 };
  const byXid = new Map<number, ClientState>();
  let next = 0, acked = 0, naks = 0, retries = 0, sendErrors = 0;

  const send = async (c: ClientState) => {
    c.sentAt = Date.now();
    const pkt = c.step === "discover"
      ? encodeRequest({ type: DISCOVER, xid: c.xid, mac: c.mac, giaddr })
      : encodeRequest({
        type: REQUEST,
        xid: c.xid,
        mac: c.mac,
        giaddr,
        requested: c.offered,
        serverId: c.serverId,
      });
    try {
      await sock.send(pkt, dest);
    } catch {
      sendErrors++; // e.g. ECONNREFUSED while the server is down: the timeout retries it
    }
  };
  const restart = (c: ClientState) => {
    byXid.delete(c.xid);
    c.xid = (Math.random() * 0xffffffff) >>> 0;
    c.step = "discover";
    byXid.set(c.xid, c);
    return send(c);
  };
  const startNext = () => {
    if (next >= total) return;
    const index = next++;
    const c: ClientState = {
      index,
      mac: macOf(index, salt),
      xid: 0,
      step: "discover",
      offered: "",
      serverId: "",
      sentAt: 0,
    };
    return restart(c);
  };

  const ticker = setInterval(() => {
    const now = Date.now();
    for (const c of [...byXid.values()]) {
      if (now - c.sentAt > timeoutMs) {
        retries++;
        restart(c);
      }
    }
  }, 100);
  for (let i = 0; i < window; i++) await startNext();

  const receive = async () => {
    for (;;) {
      const [data] = await sock.receive();
      const r = decodeReply(data);
      const c = r && byXid.get(r.xid);
      if (!r || !c || r.mac !== macText(c.mac)) continue;
      if (r.type === OFFER && c.step === "discover") {
        c.step = "request";
        c.offered = r.yiaddr;
        c.serverId = r.serverId;
        await send(c);
      } else if (r.type === ACK && c.step === "request") {
        byXid.delete(c.xid);
        acked++;
        const line = JSON.stringify({ mac: r.mac, ip: r.yiaddr, t: Date.now() }) + "\n";
        await out.write(enc.encode(line));
        await startNext();
      } else if (r.type === NAK) {
        naks++;
        await restart(c);
      }
      if (acked >= total) return;
    }
  };
  const timer = new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  await Promise.race([receive(), timer]);
  clearInterval(ticker);
  out.close();
  console.log(JSON.stringify({ clients: total, acked, naks, retries, sendErrors }));
  Deno.exit(0);
}

if (import.meta.main) await main();
