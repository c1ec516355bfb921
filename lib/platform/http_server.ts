/** Serves the pure HTTP handler (lib/http/routes.ts) on a TCP listener. */
export interface HttpServerHandle {
  readonly port: number;
  shutdown(): Promise<void>;
}

export function serveHttp(
  hostname: string,
  port: number,
  handler: (req: Request) => Response,
): HttpServerHandle {
  const server = Deno.serve({ hostname, port, onListen: () => {} }, (req) => handler(req));
  return { port: server.addr.port, shutdown: () => server.shutdown() };
}
