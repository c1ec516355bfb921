/**
 * The DHCP datagram socket. Deno's API does not tell which interface a packet came in on and
 * has no raw sockets (ARCHITECTURE.md, "Deno facts"), so replies that RFC 2131 §4.1 wants
 * link-unicast to a client without an address go out as a broadcast instead.
 */

export interface Datagram {
  readonly data: Uint8Array;
  readonly fromIp: string;
  readonly fromPort: number;
}

export interface OutDatagram {
  readonly data: Uint8Array;
  readonly ip: string;
  readonly port: number;
}

export interface DatagramTransport {
  /** Starts delivering datagrams; resolves when the socket closes. */
  run(onDatagram: (d: Datagram) => void): Promise<void>;
  send(data: Uint8Array, ip: string, port: number): Promise<void>;
  /** Sends a batch; returns the indexes (into list) of the datagrams that failed. */
  sendMany(list: readonly OutDatagram[]): readonly number[] | Promise<readonly number[]>;
  close(): void;
  readonly port: number;
}

export function listenUdp(hostname: string, port: number): DatagramTransport {
  const sock = Deno.listenDatagram({ transport: "udp", hostname, port });
  let closed = false;
  const addr = sock.addr as Deno.NetAddr;
  return {
    port: addr.port,
    async run(onDatagram) {
      while (!closed) {
        let got: [Uint8Array, Deno.Addr];
        try {
          got = await sock.receive();
        } catch (e) {
          if (closed) return;
          throw e;
        }
        const from = got[1] as Deno.NetAddr;
        onDatagram({ data: got[0], fromIp: from.hostname, fromPort: from.port });
      }
    },
    async send(data, ip, port) {
      await sock.send(data, { transport: "udp", hostname: ip, port });
    },
    async sendMany(list) {
      const sent = await Promise.allSettled(
        list.map((d) => sock.send(d.data, { transport: "udp", hostname: d.ip, port: d.port })),
      );
      const failed: number[] = [];
      sent.forEach((r, i) => r.status === "rejected" && failed.push(i));
      return failed;
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}
