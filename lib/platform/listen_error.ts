/**
 * A socket that cannot be opened (port taken, address not on this host, port below 1024
 * without the capability) becomes one ListenFailed error that names the config key to change.
 * main.ts prints its message as one line and exits LISTEN_FAILED_EXIT.
 */

/** Exit status when a socket cannot be opened: sysexits EX_CONFIG (fix the config). */
export const LISTEN_FAILED_EXIT = 78;

/** Which listener, so the message can name its config keys. */
export type ListenerKind = "dhcp" | "http" | "failover";

const KEYS: Record<ListenerKind, { address: string; port: string }> = {
  dhcp: { address: "[dhcp] listen_address", port: "[dhcp] port" },
  http: { address: "[http] listen", port: "[http] listen" },
  failover: { address: "[failover] my_address", port: "[failover] my_port" },
};

export class ListenFailed extends Error {
  override name = "ListenFailed";
  constructor(
    readonly kind: ListenerKind,
    readonly address: string,
    readonly port: number,
    readonly reason: string,
    readonly fix: string,
  ) {
    const where = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
    super(`cannot listen on ${where} (${reason}): ${fix}`);
  }
}

/** The ListenFailed for a socket error, or undefined when the error is of another kind. */
export function explainListenError(
  kind: ListenerKind,
  address: string,
  port: number,
  e: unknown,
): ListenFailed | undefined {
  const keys = KEYS[kind];
  const fail = (reason: string, fix: string) => new ListenFailed(kind, address, port, reason, fix);
  if (e instanceof Deno.errors.AddrInUse) {
    return fail(
      "address already in use",
      `set ${keys.port} to a free port, or stop the program using it`,
    );
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return fail("address not available", `set ${keys.address} to an address of this host`);
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return fail(
      "permission denied",
      `ports below 1024 need CAP_NET_BIND_SERVICE (or root); or set ${keys.port} to 1024 or above`,
    );
  }
  return undefined;
}

/** Runs open(); a socket error it throws becomes a ListenFailed naming the config key. */
export function listening<T>(kind: ListenerKind, address: string, port: number, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw explainListenError(kind, address, port, e) ?? e;
  }
}
