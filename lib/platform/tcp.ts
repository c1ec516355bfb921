/**
 * TCP 647 for the failover channel (draft-12 §8.2), as a PeerNetwork, on node:net: it binds the
 * outgoing connection to my_address (on a box with several addresses the partner must see the
 * address it expects) and its sockets can be upgraded to TLS in place (peer_tls.ts, §11.2).
 */
import net from "node:net";
import type { LinkHandlers, PeerLink, PeerNetwork } from "../failover/peer_link.ts";
import { type TlsMaterial, upgradeToTls } from "./peer_tls.ts";
import { listening } from "./listen_error.ts";

/** Most connections accepted at once; the rest are closed at once (flood protection). */
const MAX_OPEN_CONNECTIONS = 16;

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A node:net socket as a PeerLink. Frames queued in one turn of the event loop go out in one
 * write: under load that is hundreds of BNDUPDs/BNDACKs per write. startTls (draft §11.2)
 * moves the same link onto TLS, so the peer keeps one link identity throughout.
 */
function wrapSocket(
  sock: net.Socket,
  tlsMaterial: TlsMaterial | undefined,
  onEnd: () => void,
): PeerLink {
  sock.setNoDelay(true);
  sock.setKeepAlive(true);
  let stream: net.Socket = sock;
  let handlers: LinkHandlers | undefined;
  let closed = false;
  let upgrading = false;
  let endReason = "closed by peer";
  const early: Uint8Array[] = [];
  let queued: Uint8Array[] = [];
  let queuedBytes = 0;
  const end = (reason: string) => {
    if (closed) return;
    closed = true;
    stream.destroy();
    if (stream !== sock) sock.destroy();
    onEnd();
    handlers?.closed(reason);
  };
  const flush = () => {
    if (closed || queued.length === 0) return;
    const out = queued.length === 1 ? queued[0]! : concat(queued, queuedBytes);
    queued = [];
    queuedBytes = 0;
    stream.write(out);
  };
  const bind = (s: net.Socket) => {
    s.on("data", (chunk: Uint8Array) => {
      if (closed) return;
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
      if (handlers === undefined) early.push(bytes);
      else handlers.data(bytes);
    });
    s.on("error", (e: Error) => (endReason = `socket error: ${e.message}`));
    s.on("close", () => end(endReason));
  };
  bind(sock);
  const link: PeerLink = {
    remote: `${sock.remoteAddress}:${sock.remotePort}`,
    start(h) {
      handlers = h;
      for (const c of early.splice(0)) h.data(c);
      if (closed) h.closed(endReason);
    },
    send(bytes) {
      if (closed) return;
      queued.push(bytes);
      queuedBytes += bytes.length;
      if (queued.length === 1 && !upgrading) queueMicrotask(flush);
    },
    close: () => end("closed locally"),
  };
  if (tlsMaterial === undefined) return link;
  return {
    ...link,
    get remote() {
      return link.remote;
    },
    async startTls(side) {
      // What was sent before (the CONNECTACK saying TLS-reply 1) leaves in the clear first.
      flush();
      upgrading = true;
      sock.removeAllListeners("data");
      sock.removeAllListeners("error");
      sock.removeAllListeners("close");
      try {
        stream = await upgradeToTls(sock, side, tlsMaterial, 5000);
      } catch (e) {
        end(e instanceof Error ? e.message : String(e));
        throw e;
      } finally {
        upgrading = false;
      }
      bind(stream);
      flush();
    },
  };
}

export function tcpPeerNetwork(
  listenHost: string,
  listenPort: number,
  partnerHost: string,
  partnerPort: number,
  tlsMaterial?: TlsMaterial,
): PeerNetwork {
  return {
    listen(onLink) {
      // Deno.listen first, closed at once: a port in use fails here, synchronously, as one
      // line naming the config key (listen_error.ts); node:net reports it only later.
      listening(
        "failover",
        listenHost,
        listenPort,
        () => Deno.listen({ hostname: listenHost, port: listenPort, transport: "tcp" }),
      ).close();
      let open = 0;
      const server = net.createServer((sock) => {
        if (open >= MAX_OPEN_CONNECTIONS) {
          sock.destroy();
          return;
        }
        open++;
        onLink(wrapSocket(sock, tlsMaterial, () => open--));
      });
      server.on("error", (e: Error) => {
        throw new Error(`failover listener on ${listenHost}:${listenPort}: ${e.message}`);
      });
      server.listen(listenPort, listenHost);
      let closed = false;
      return {
        close: () => {
          if (closed) return;
          closed = true;
          server.close();
        },
      };
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
          resolve(wrapSocket(sock, tlsMaterial, () => {}));
        });
      });
    },
  };
}
