/** TCP 647 for the failover channel (draft-12 §8.2), as a PeerNetwork. */
import type { LinkHandlers, PeerLink, PeerNetwork } from "./peer_link.ts";
import { listening } from "./listen_error.ts";

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
          out = new Uint8Array(queuedBytes);
          let at = 0;
          for (const q of queued) {
            out.set(q, at);
            at += q.length;
          }
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

export function tcpPeerNetwork(
  listenHost: string,
  listenPort: number,
  partnerHost: string,
  partnerPort: number,
): PeerNetwork {
  return {
    listen(onLink) {
      const listener = listening(
        "failover",
        listenHost,
        listenPort,
        () => Deno.listen({ hostname: listenHost, port: listenPort, transport: "tcp" }),
      );
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
    async connect() {
      const conn = await Deno.connect({
        hostname: partnerHost,
        port: partnerPort,
        transport: "tcp",
      });
      return wrapConn(conn, () => {});
    },
  };
}
