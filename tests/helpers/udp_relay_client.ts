/**
 * A relay-agent-shaped DHCP client for loopback tests: it sends requests with giaddr set from
 * its own 127.x address, so Tandem answers it at that address and port (lib/app/server.ts).
 */
import {
  BOOTREQUEST,
  decodeDhcp,
  type DhcpPacket,
  encodeDhcp,
} from "../../lib/wire/dhcp_message.ts";
import {
  type Ipv4,
  IPV4_ZERO,
  ipv4FromBytes,
  ipv4ToBytes,
  parseIpv4,
} from "../../lib/wire/ipv4.ts";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";

/** How long dora() waits for each reply: generous, since a loaded CI machine can stall an fsync. */
const REPLY_WAIT_MS = 8000;

export function mac(i: number): Uint8Array {
  const c = new Uint8Array(16);
  c.set([0x52, 0x54, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);
  return c;
}

export function request(
  type: number,
  chaddr: Uint8Array,
  giaddr: Ipv4,
  xid: number,
  extra: [number, Uint8Array][] = [],
  ciaddr: Ipv4 = IPV4_ZERO,
): DhcpPacket {
  const options = new Map<number, Uint8Array>([[OPT.dhcpMessageType, new Uint8Array([type])]]);
  for (const [c, v] of extra) options.set(c, v);
  options.set(OPT.parameterRequestList, new Uint8Array([1, 3, 6, 15, 51, 54]));
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 1,
    xid,
    secs: 0,
    flags: 0,
    ciaddr,
    yiaddr: IPV4_ZERO,
    siaddr: IPV4_ZERO,
    giaddr,
    chaddr,
    sname: new Uint8Array(64),
    file: new Uint8Array(128),
    options,
  };
}

export class RelayClient {
  readonly #sock: Deno.DatagramConn;
  readonly giaddr: Ipv4;
  constructor(readonly relayIp: string, readonly serverPort: number) {
    this.#sock = Deno.listenDatagram({ transport: "udp", hostname: relayIp, port: 0 });
    this.giaddr = parseIpv4(relayIp)!;
  }

  async send(p: DhcpPacket | Uint8Array): Promise<void> {
    const bytes = p instanceof Uint8Array ? p : encodeDhcp(p);
    await this.#sock.send(bytes, {
      transport: "udp",
      hostname: "127.0.0.1",
      port: this.serverPort,
    });
  }

  /** The next reply, or undefined after timeoutMs. */
  async receive(timeoutMs = 2000): Promise<DhcpPacket | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((r) =>
      timer = setTimeout(() => r(undefined), timeoutMs)
    );
    const got = await Promise.race([this.#sock.receive(), timeout]);
    clearTimeout(timer);
    if (got === undefined) return undefined;
    const d = decodeDhcp(got[0]);
    if (!d.ok) throw new Error(`undecodable reply: ${d.error.message}`);
    return d.packet;
  }

  /** DISCOVER -> OFFER -> REQUEST -> ACK for one client; returns the ACKed address. */
  async dora(
    chaddr: Uint8Array,
    xid: number,
  ): Promise<{ type: number; ip: Ipv4; options: ReadonlyMap<number, Uint8Array> }> {
    await this.send(request(MSG.DISCOVER, chaddr, this.giaddr, xid));
    const offer = await this.receive(REPLY_WAIT_MS);
    if (offer === undefined) throw new Error("no OFFER");
    const serverId = offer.options.get(OPT.serverIdentifier)!;
    await this.send(request(MSG.REQUEST, chaddr, this.giaddr, xid, [
      [OPT.requestedIpAddress, ipv4ToBytes(offer.yiaddr)],
      [OPT.serverIdentifier, serverId],
    ]));
    const ack = await this.receive(REPLY_WAIT_MS);
    if (ack === undefined) throw new Error("no ACK");
    return {
      type: ack.options.get(OPT.dhcpMessageType)?.[0] ?? 0,
      ip: ack.yiaddr,
      options: ack.options,
    };
  }

  close(): void {
    this.#sock.close();
  }
}

export { ipv4FromBytes };
