/**
 * The HTTP endpoints as one pure function (Request) -> Response. Read-only except the
 * operator's calls (POST /partner-down, POST /reload, POST /maintenance/start|stop), which need
 * the admin bearer token. No
 * secrets are shown.
 *
 * /healthz  200 while the process runs its loops (liveness: restart me if this fails).
 * /readyz   200 only when this box is serving DHCP clients (see ReadyState), else 503 with
 *           the reasons; a load balancer or monitor should alert on 503.
 * /status   JSON for people and tools.
 * /metrics  Prometheus text.
 */
import type { Registry } from "./metrics.ts";
import type { LeaseCommand } from "../dhcp/lease_commands.ts";
import { parseIpv4 } from "../wire/ipv4.ts";
import type { LeaseQuery } from "../lease/find.ts";

export interface ReadyState {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export interface HttpDeps {
  readonly status: () => unknown;
  readonly ready: () => ReadyState;
  readonly metrics: Registry;
  /** Bearer token for POST /partner-down; undefined disables the call. */
  readonly adminToken?: string;
  /** Operator command: put this server in PARTNER-DOWN (failover only). */
  readonly partnerDown?: () => { ok: boolean; message: string };
  /** Operator command: read the config file again and apply it (reload_plan.ts). */
  readonly reload?: () => Promise<{ ok: boolean; message: string; changed: readonly string[] }>;
  /** Operator command: planned maintenance of this box (SHUTDOWN, draft §9.14), and its end. */
  readonly maintenance?: (action: "start" | "stop") => Promise<{ ok: boolean; message: string }>;
  /** The lease API (admin token): find, and the operator's lease commands. */
  readonly leases?: {
    find(q: LeaseQuery): readonly unknown[];
    command(cmd: LeaseCommand): Promise<{ ok: boolean; message: string }>;
  };
  /** Clock for the admin-token attempt limit. */
  readonly nowMs: () => number;
}

/** Wrong admin tokens accepted per minute before every admin call gets 429 (brute force). */
export const TOKEN_ATTEMPTS_PER_MIN = 10;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", { status, headers: JSON_HEADERS });
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function httpHandler(deps: HttpDeps): (req: Request) => Response | Promise<Response> {
  const failures: number[] = []; // times of wrong tokens in the last minute
  return (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "POST" && path === "/partner-down") {
      return admitted(req, deps, failures) ?? partnerDown(deps);
    }
    if (req.method === "POST" && path === "/reload") {
      const refused = admitted(req, deps, failures);
      if (refused !== undefined) return refused;
      if (deps.reload === undefined) return json({ error: "reload is not available here" }, 409);
      return deps.reload().then((r) => json(r, r.ok ? 200 : 409));
    }
    const maintenance = /^\/maintenance\/(start|stop)$/.exec(path)?.[1] as
      | "start"
      | "stop"
      | undefined;
    if (req.method === "POST" && maintenance !== undefined) {
      const refused = admitted(req, deps, failures);
      if (refused !== undefined) return refused;
      if (deps.maintenance === undefined) {
        return json({ error: "this server has no failover partner" }, 409);
      }
      return deps.maintenance(maintenance).then((r) => json(r, r.ok ? 200 : 409));
    }
    if (path === "/leases" || path.startsWith("/leases/")) {
      const refused = admitted(req, deps, failures);
      if (refused !== undefined) return refused;
      if (deps.leases === undefined) return json({ error: "no lease store here" }, 409);
      return leaseApi(req, path, deps.leases);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return json({ error: "method not allowed" }, 405);
    }
    switch (path) {
      case "/healthz":
        return json({ alive: true });
      case "/readyz": {
        const r = deps.ready();
        return json({ ready: r.ready, reasons: r.reasons }, r.ready ? 200 : 503);
      }
      case "/status":
        return json(deps.status());
      case "/metrics":
        return new Response(deps.metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      default:
        return json({
          error: "not found",
          endpoints: ["/healthz", "/readyz", "/status", "/metrics"],
        }, 404);
    }
  };
}

/** The admin-token check of every operator call: undefined when admitted, else the answer. */
function admitted(req: Request, deps: HttpDeps, failures: number[]): Response | undefined {
  // Authenticated first: an unauthenticated caller learns nothing about this box's role.
  if (deps.adminToken === undefined) {
    return json({ error: "set http.admin_token in the config to enable this call" }, 403);
  }
  const now = deps.nowMs();
  while (failures.length > 0 && now - failures[0]! >= 60_000) failures.shift();
  if (failures.length >= TOKEN_ATTEMPTS_PER_MIN) {
    // Even the right token waits: otherwise a guesser learns nothing new but keeps guessing.
    return json({ error: "too many wrong tokens; try again in a minute" }, 429);
  }
  const auth = req.headers.get("authorization") ?? "";
  if (!sameToken(auth, `Bearer ${deps.adminToken}`)) {
    failures.push(now);
    return json({ error: "unauthorized" }, 401);
  }
  return undefined;
}

function partnerDown(deps: HttpDeps): Response {
  if (deps.partnerDown === undefined) {
    return json({ error: "this server has no failover partner" }, 409);
  }
  const r = deps.partnerDown();
  return json(r, r.ok ? 200 : 409);
}

/**
 * GET /leases?ip=A | mac=M | client_id=HEX; POST /leases/add {ip, mac?, client_id?, hostname?,
 * lease_sec?}, /leases/delete {ip}, /leases/reclaim {ip?} (lib/dhcp/lease_commands.ts).
 */
async function leaseApi(
  req: Request,
  path: string,
  api: NonNullable<HttpDeps["leases"]>,
): Promise<Response> {
  if (req.method === "GET" && path === "/leases") {
    const q = new URL(req.url).searchParams;
    const query = {
      ...(q.has("ip") ? { ip: q.get("ip")! } : {}),
      ...(q.has("mac") ? { mac: q.get("mac")! } : {}),
      ...(q.has("client_id") ? { clientId: q.get("client_id")! } : {}),
    };
    if (Object.keys(query).length !== 1) {
      return json({ error: "give one of ip=, mac= or client_id=" }, 400);
    }
    return json(api.find(query));
  }
  const action = /^\/leases\/(add|delete|reclaim)$/.exec(path)?.[1];
  if (req.method !== "POST" || action === undefined) {
    return json(
      { error: "GET /leases?ip=|mac=|client_id=, or POST /leases/add|delete|reclaim" },
      404,
    );
  }
  let body: Record<string, unknown>;
  try {
    const text = await req.text();
    const parsed = text.trim() === "" ? {} : JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw 0;
    body = parsed as Record<string, unknown>;
  } catch {
    return json({ error: "the body must be a JSON object" }, 400);
  }
  const str = (k: string) => typeof body[k] === "string" ? body[k] as string : undefined;
  const ipText = str("ip");
  const ip = ipText === undefined ? undefined : parseIpv4(ipText);
  if (ipText !== undefined && ip === undefined) {
    return json({ error: `ip "${ipText}" is not an IPv4 address` }, 400);
  }
  if (ip === undefined && action !== "reclaim") return json({ error: "ip is required" }, 400);
  let cmd: LeaseCommand;
  if (action === "add") {
    const leaseSec = body.lease_sec;
    if (leaseSec !== undefined && (typeof leaseSec !== "number" || !Number.isInteger(leaseSec))) {
      return json({ error: "lease_sec must be a whole number of seconds" }, 400);
    }
    cmd = {
      kind: "add",
      ip: ip!,
      ...(str("mac") === undefined ? {} : { hwAddr: str("mac")! }),
      ...(str("client_id") === undefined ? {} : { clientId: str("client_id")! }),
      ...(str("hostname") === undefined ? {} : { hostname: str("hostname")! }),
      ...(leaseSec === undefined ? {} : { leaseSec: leaseSec as number }),
    };
  } else if (action === "delete") cmd = { kind: "delete", ip: ip! };
  else cmd = ip === undefined ? { kind: "reclaim" } : { kind: "reclaim", ip };
  const r = await api.command(cmd);
  return json(r, r.ok ? 200 : 409);
}
