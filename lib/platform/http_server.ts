/**
 * Serves the pure HTTP handler (lib/http/routes.ts) on a TCP listener, with every resource an
 * untrusted client can hold bounded: concurrent connections, time to send the request (head
 * and body), head and body size. One request per connection (Connection: close), so there is
 * no idle keep-alive connection to hold either.
 *
 * Why not Deno.serve: it has no header or request timeout and no connection limit (500
 * half-sent requests stayed open indefinitely, 526 descriptors). The endpoints are a handful of
 * small GETs and one small POST, so a bounded HTTP/1.1 reader of ~150 lines is the smaller
 * risk than an unbounded server. HTTP/1.1 framing per RFC 9112: request line, header fields,
 * a Content-Length body; chunked request bodies are refused (411).
 */

export interface HttpLimits {
  /** Whole request (head and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxHeadBytes: number;
  readonly maxBodyBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 5000,
  maxConnections: 64,
  maxHeadBytes: 8192,
  maxBodyBytes: 4096,
};

export interface HttpServerHandle {
  readonly port: number;
  /** Connections refused at the limit, requests timed out or too large, so far. */
  readonly refused: {
    readonly connections: number;
    readonly timeouts: number;
    readonly oversize: number;
  };
  shutdown(): Promise<void>;
}

const CRLFCRLF = [13, 10, 13, 10];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function serveHttp(
  hostname: string,
  port: number,
  handler: (req: Request) => Response | Promise<Response>,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): HttpServerHandle {
  const listener = Deno.listen({ hostname, port, transport: "tcp" });
  const open = new Set<Deno.Conn>();
  const refused = { connections: 0, timeouts: 0, oversize: 0 };
  let closing = false;

  const serveOne = async (conn: Deno.Conn) => {
    const timer = setTimeout(() => {
      refused.timeouts++;
      close(conn);
    }, limits.requestTimeoutMs);
    try {
      const req = await readRequest(conn, hostname, limits);
      clearTimeout(timer);
      const res = await handler(req);
      await writeResponse(conn, res, req.method === "HEAD");
    } catch (e) {
      clearTimeout(timer);
      if (e instanceof HttpError) {
        if (e.status === 413 || e.status === 431) refused.oversize++;
        await writeResponse(conn, new Response(`${e.message}\n`, { status: e.status }), false)
          .catch(() => {});
      }
    } finally {
      close(conn);
    }
  };

  const close = (conn: Deno.Conn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  };

  const loop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (closing) return;
        continue;
      }
      if (open.size >= limits.maxConnections) {
        refused.connections++;
        try {
          conn.close();
        } catch { /* gone */ }
        continue;
      }
      open.add(conn);
      void serveOne(conn);
    }
  })();

  return {
    port: (listener.addr as Deno.NetAddr).port,
    refused,
    async shutdown() {
      closing = true;
      listener.close();
      for (const c of [...open]) close(c);
      await loop;
    },
  };
}

async function readRequest(
  conn: Deno.Conn,
  hostname: string,
  limits: HttpLimits,
): Promise<Request> {
  const buf = new Uint8Array(limits.maxHeadBytes + limits.maxBodyBytes);
  let filled = 0;
  let headEnd = -1;
  while (headEnd < 0) {
    if (filled >= limits.maxHeadBytes) throw new HttpError(431, "request head too large");
    const n = await conn.read(buf.subarray(filled, limits.maxHeadBytes));
    if (n === null) throw new Error("connection closed before the request head");
    filled += n;
    headEnd = indexOf(buf.subarray(0, filled), CRLFCRLF);
  }
  const lines = decoder.decode(buf.subarray(0, headEnd)).split("\r\n");
  const [method, target, version] = (lines[0] ?? "").split(" ");
  if (
    method === undefined || target === undefined || !target.startsWith("/") ||
    version === undefined || !/^HTTP\/1\.[01]$/.test(version)
  ) throw new HttpError(400, "bad request line");
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "bad header field");
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      throw new HttpError(400, "bad header field");
    }
  }
  if (headers.has("transfer-encoding")) throw new HttpError(411, "send a Content-Length");
  const length = Number(headers.get("content-length") ?? "0");
  if (!Number.isInteger(length) || length < 0) throw new HttpError(400, "bad Content-Length");
  if (length > limits.maxBodyBytes) throw new HttpError(413, "request body too large");
  const bodyStart = headEnd + 4;
  const want = bodyStart + length;
  while (filled < want) {
    const n = await conn.read(buf.subarray(filled, want));
    if (n === null) throw new Error("connection closed before the request body");
    filled += n;
  }
  const body = length > 0 && method !== "GET" && method !== "HEAD"
    ? buf.slice(bodyStart, want)
    : undefined;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return new Request(`http://${host}${target}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

async function writeResponse(conn: Deno.Conn, res: Response, head: boolean): Promise<void> {
  const body = head ? new Uint8Array() : new Uint8Array(await res.arrayBuffer());
  // The reason phrase is optional (RFC 9112 §4).
  let text = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`;
  res.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "connection") text += `${k}: ${v}\r\n`;
  });
  text += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const head_ = encoder.encode(text);
  const out = new Uint8Array(head_.length + body.length);
  out.set(head_);
  out.set(body, head_.length);
  for (let at = 0; at < out.length;) at += await conn.write(out.subarray(at));
}

function indexOf(hay: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
