/**
 * TCP 647 for the failover channel (draft-12 §8.2), as a PeerNetwork. Accepting uses Deno's
 * listener; dialling uses node:net, because only it binds the outgoing connection to
 * my_address: on a box with several addresses the partner must see the address it expects.
 */
import net from "node:net";
import type { LinkHandlers, PeerLink, PeerNetwork } from "./peer_link.ts";

/** Most connections accepted at once; the rest are closed at once (flood protection). */
const MAX_OPEN_CONNECTIONS = 16;

function wrapConn(conn: Deno.TcpConn, onEnd: () => void): PeerLink {
  const remote = `${(conn.remoteAddr as Deno.NetAddr).hostname}:${
    (conn.remoteAddr as Deno.NetAddr).port
  }`;
  try {
    conn.setNoDelay(true);
    conn.setKeepAlive(true);
  } catch { /* not fatal */ }
  let handlers: LinkHandlers | undefined;
  let closed = false;
  let queued: Uint8Array[] = [];
  let queuedBytes = 0;
  let writing = false;
  const flush = async () => {
    try {
      while (queued.length > 0 && !closed) {
        let out: Uint8Array;
        if (queued.length === 1) out = queued[0]!;
        else {
          out = concat(queued, queuedBytes);
        }
        queued = [];
        queuedBytes = 0;
        let off = 0;
        while (off < out.length && !closed) off += await conn.write(out.subarray(off));
      }
    } catch (e) {
      end(`write error: ${e instanceof Error ? e.message : e}`);
    } finally {
      writing = false;
    }
  };
  const end = (reason: string) => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
    onEnd();
    handlers?.closed(reason);
  };
  return {
    remote,
    start(h) {
      handlers = h;
      (async () => {
        const buf = new Uint8Array(65536);
        for (;;) {
          let n: number | null;
          try {
            n = await conn.read(buf);
          } catch (e) {
            end(`read error: ${e instanceof Error ? e.message : e}`);
            return;
          }
          if (n === null) {
            end("closed by peer");
            return;
          }
          if (closed) return;
          h.data(buf.slice(0, n));
        }
      })();
    },
    send(bytes) {
      if (closed) return;
      // Frames queued in one turn of the event loop go out in one write: under load that is
      // hundreds of BNDUPDs/BNDACKs per write instead of one async op each.
      queued.push(bytes);
      queuedBytes += bytes.length;
      if (!writing) {
        writing = true;
        queueMicrotask(() => void flush());
      }
    },
    close: () => end("closed locally"),
  };
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A dialled node:net socket as a PeerLink (same contract as wrapConn). */
function wrapSocket(sock: net.Socket): PeerLink {
  sock.setNoDelay(true);
  sock.setKeepAlive(true);
  let handlers: LinkHandlers | undefined;
  let closed = false;
  let endReason = "closed by peer";
  const early: Uint8Array[] = [];
  let queued: Uint8Array[] = [];
  let queuedBytes = 0;
  const end = (reason: string) => {
    if (closed) return;
    closed = true;
    sock.destroy();
    handlers?.closed(reason);
  };
  sock.on("data", (chunk: Uint8Array) => {
    if (closed) return;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
    if (handlers === undefined) early.push(bytes);
    else handlers.data(bytes);
  });
  sock.on("error", (e: Error) => (endReason = `socket error: ${e.message}`));
  sock.on("close", () => end(endReason));
  return {
    remote: `${sock.remoteAddress}:${sock.remotePort}`,
    start(h) {
      handlers = h;
      for (const c of early.splice(0)) h.data(c);
      if (closed) h.closed(endReason);
    },
    send(bytes) {
      // Frames queued in one turn of the event loop go out in one write (as in wrapConn).
      if (closed) return;
      queued.push(bytes);
      queuedBytes += bytes.length;
      if (queued.length === 1) {
        queueMicrotask(() => {
          if (closed) return;
          const out = queued.length === 1 ? queued[0]! : concat(queued, queuedBytes);
          queued = [];
          queuedBytes = 0;
          sock.write(out);
        });
      }
    },
    close: () => end("closed locally"),
  };
}

export function tcpPeerNetwork(
  listenHost: string,
  listenPort: number,
  partnerHost: string,
  partnerPort: number,
): PeerNetwork {
  return {
    listen(onLink) {
      const listener = Deno.listen({ hostname: listenHost, port: listenPort, transport: "tcp" });
      let open = 0;
      (async () => {
        for await (const conn of listener) {
          if (open >= MAX_OPEN_CONNECTIONS) {
            conn.close();
            continue;
          }
          open++;
          onLink(wrapConn(conn, () => open--));
        }
      })().catch(() => {});
      return { close: () => listener.close() };
    },
    connect() {
      return new Promise<PeerLink>((resolve, reject) => {
        const sock = net.connect({
          host: partnerHost,
          port: partnerPort,
          ...(listenHost === "0.0.0.0" ? {} : { localAddress: listenHost }),
        });
        const failed = (e: Error) => reject(e);
        sock.once("error", failed);
        sock.once("connect", () => {
          sock.off("error", failed);
          resolve(wrapSocket(sock));
        });
      });
    },
  };
}
