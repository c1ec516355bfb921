/**
 * The batched libc socket on loopback: every datagram sent to it arrives once, with its
 * sender's address; sendMany() delivers a batch larger than one sendmmsg call; close() ends
 * run() and frees the port.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { openMmsgSocket } from "./udp_mmsg.ts";
import type { Datagram } from "./udp.ts";

const probe = openMmsgSocket("127.0.0.1", 0);
probe?.close();
if (probe === undefined) {
  console.warn("udp_mmsg_test: IGNORED: no FFI/glibc here (Tandem uses Deno's UDP socket)");
}

/** The socket under test, running, and a Deno UDP peer on loopback; close() ends both. */
function loopback() {
  const server = openMmsgSocket("127.0.0.1", 0)!;
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const got: Datagram[] = [];
  const running = server.run((d) => got.push(d));
  return {
    server,
    peer,
    peerPort: (peer.addr as Deno.NetAddr).port,
    /** Where the peer sends to reach the server. */
    to: { transport: "udp" as const, hostname: "127.0.0.1", port: server.port },
    got,
    /** Waits until n datagrams arrived, or 5 s. */
    async waitFor(n: number) {
      const end = Date.now() + 5000;
      while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    },
    /** Closes both; resolves when run() has returned. */
    close(): Promise<void> {
      server.close();
      peer.close();
      return running;
    },
  };
}

Deno.test({
  name: "mmsg socket: receives every datagram with its sender, sends batches of 150",
  ignore: probe === undefined,
  async fn() {
    const { server, peer, peerPort, to, got, waitFor, close } = loopback();
    try {
      for (let i = 0; i < 150; i++) await peer.send(new Uint8Array([i, 1, 2, 3]), to);
      await waitFor(150);
      equal(got.length, 150);
      deepEqual(got.map((d) => d.data[0]), [...Array(150).keys()]);
      ok(got.every((d) => d.fromIp === "127.0.0.1" && d.fromPort === peerPort));
      // Each datagram keeps its own bytes after later receives reuse the socket's slots.
      ok(got.every((d) => d.data.length === 4 && d.data[1] === 1 && d.data[3] === 3));

      const out = [...Array(150).keys()].map((i) => ({
        data: new Uint8Array(300).fill(i),
        ip: "127.0.0.1",
        port: peerPort,
      }));
      const failed = await server.sendMany(out);
      deepEqual(failed, []);
      const seen = new Set<number>();
      for (let i = 0; i < 150; i++) {
        const [bytes] = await peer.receive();
        equal(bytes.length, 300);
        seen.add(bytes[0]!);
      }
      equal(seen.size, 150);
      // A datagram to an unroutable address fails alone; the others still go.
      const mixed = await server.sendMany([
        { data: new Uint8Array([7]), ip: "127.0.0.1", port: peerPort },
        { data: new Uint8Array([8]), ip: "0.0.0.0", port: 0 },
        { data: new Uint8Array([9]), ip: "127.0.0.1", port: peerPort },
      ]);
      deepEqual(mixed, [1]);
      equal((await peer.receive())[0][0], 7);
      equal((await peer.receive())[0][0], 9);
    } finally {
      await close();
    }
    // The port is free again once run() returned.
    const again = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.port,
    });
    again.close();
  },
});

Deno.test({
  name: "mmsg socket: a burst taken by the busy-time polls arrives whole and in order; idle again",
  ignore: probe === undefined,
  async fn() {
    const { peer, to, got: datagrams, waitFor, close } = loopback();
    const got = () => datagrams.map((d) => d.data[0]! * 256 + d.data[1]!);
    let closedAt = 0;
    try {
      // More than one poll takes (8 batches of 64): the first wakes the blocking receive, the
      // rest queue in the kernel and are taken by the main thread's polls.
      for (let i = 0; i < 700; i++) await peer.send(new Uint8Array([i >> 8, i & 255]), to);
      await waitFor(700);
      deepEqual(got(), [...Array(700).keys()]);
      // Quiet: the polls stop and the socket waits in the blocking receive; a datagram later
      // still arrives.
      await new Promise((r) => setTimeout(r, 250));
      await peer.send(new Uint8Array([9, 9]), to);
      await waitFor(701);
      equal(got()[700], 9 * 256 + 9);
    } finally {
      closedAt = Date.now();
      await close();
    }
    ok(Date.now() - closedAt < 1000, "run() ends within the receive timeout after close()");
  },
});
