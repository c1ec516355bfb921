/**
 * Semantic checks over a schema-valid document: addresses, ports, lease-time order, the role
 * and its [failover] table. Subnets, pools and reservations are checked in semantic_subnets.ts.
 * Every finding names its key path, what is wrong and how to fix it; nothing stops at the first.
 */
import { formatIpv4, type Ipv4 } from "../wire/ipv4.ts";
import type { RawConfig, RawFailover } from "./schema.ts";
import { checkSubnets } from "./semantic_subnets.ts";
import { checkAddress, checkLeaseTimes, checkOptions, type Reporter } from "./semantic_values.ts";
import { parseHostPort } from "./value_text.ts";

/** Shortest shared secret / admin token accepted (about 96 bits of typed randomness). */
export const MIN_SECRET_LENGTH = 16;

export function checkSemantics(raw: RawConfig, report: Reporter): void {
  const serverId = checkServerId(raw.server_id, report);
  checkListen(raw, report);
  checkLeaseTimes(raw.lease, "lease", report);
  checkRole(raw, report);
  checkOptions(raw.options, "options", report);
  checkSubnets(raw, serverId, report);
}

function checkServerId(text: string, report: Reporter): Ipv4 | undefined {
  const ip = checkAddress(text, "server_id", report, "this server's own address, e.g. 192.0.2.10,");
  if (ip === undefined) return undefined;
  const first = ip >>> 24;
  if (ip === 0 || ip === 0xffffffff || (first >= 224 && first <= 239)) {
    report.error(
      "server_id",
      `${formatIpv4(ip)} cannot identify a server`,
      "use a unicast address of this server that clients and relays can reach (RFC 2132 §9.7)",
    );
    return undefined;
  }
  return ip;
}

function checkListen(raw: RawConfig, report: Reporter): void {
  const { dhcp, http } = raw;
  checkAddress(dhcp.listen_address, "dhcp.listen_address", report, 'the bind address ("0.0.0.0")');
  if (dhcp.broadcast_address !== undefined) {
    checkAddress(dhcp.broadcast_address, "dhcp.broadcast_address", report, "the broadcast address");
  }
  if (dhcp.port === dhcp.client_port) {
    report.error(
      "dhcp.client_port",
      `client_port and port are both ${dhcp.port}`,
      "servers listen on 67 and reply to clients on 68 (RFC 2131 §4.1); keep them different",
    );
  }
  const listen = parseHostPort(http.listen);
  if (!listen.ok) report.error("http.listen", listen.problem, listen.fix);
  if (http.admin_token !== undefined && http.admin_token.length < MIN_SECRET_LENGTH) {
    report.error(
      "http.admin_token",
      `admin_token has ${http.admin_token.length} characters; at least ${MIN_SECRET_LENGTH} are needed`,
      "use a long random token, e.g. the output of: openssl rand -hex 24",
    );
  }
  if (raw.role !== "standalone" && http.admin_token === undefined) {
    report.warn(
      "http.admin_token",
      "no admin_token is set, so the partner-down HTTP call is refused",
      "set [http] admin_token to a long random string so an operator can declare PARTNER-DOWN",
      "http",
    );
  }
}

function checkRole(raw: RawConfig, report: Reporter): void {
  if (raw.role === "standalone") {
    if (raw.failover !== undefined) {
      report.error(
        "failover",
        "a [failover] table is given but role is standalone",
        'set role = "primary" or "secondary" to run as a failover pair, or delete [failover]',
      );
    }
    return;
  }
  if (raw.failover === undefined) {
    report.error(
      "failover",
      `role is ${raw.role} but there is no [failover] table`,
      'add [failover] with my_address, partner_address and shared_secret, or set role = "standalone"',
      "role",
    );
    return;
  }
  checkFailover(raw.failover, report);
}

function checkFailover(f: RawFailover, report: Reporter): void {
  const mine = checkAddress(f.my_address, "failover.my_address", report, "this server's address");
  const partner = checkAddress(
    f.partner_address,
    "failover.partner_address",
    report,
    "the partner's address",
  );
  if (partner === 0 || partner === 0xffffffff) {
    report.error(
      "failover.partner_address",
      `${f.partner_address} cannot be a partner's address`,
      "use the partner server's unicast address",
    );
  }
  if (mine !== undefined && mine === partner && f.my_port === f.partner_port) {
    report.error(
      "failover.partner_address",
      `the partner is this server itself (${f.partner_address}:${f.partner_port})`,
      "set partner_address to the other server's address",
    );
  }
  if (f.mclt_sec === 0) {
    report.error(
      "failover.mclt_sec",
      "mclt_sec is 0",
      "MCLT bounds how far a lease may run past what the partner knows (failover draft §5.2.1); use e.g. 300",
    );
  }
  if (f.receive_timer_ms <= f.contact_interval_ms) {
    report.error(
      "failover.receive_timer_ms",
      `receive_timer_ms (${f.receive_timer_ms}) must be longer than contact_interval_ms (${f.contact_interval_ms})`,
      "make receive_timer_ms several contact intervals long, e.g. 800 with contact_interval_ms = 200",
    );
  }
  const secret = f.shared_secret ?? "";
  if (f.authentication === "hmac" && secret.length < MIN_SECRET_LENGTH) {
    report.error(
      "failover.shared_secret",
      f.shared_secret === undefined
        ? "shared_secret is missing: every failover message is signed with it (draft §11.1)"
        : `shared_secret has ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are needed`,
      "use the same long random string on both servers, e.g. the output of: openssl rand -hex " +
        '24 (or, only for a partner that cannot sign, authentication = "none")',
    );
  }
  if (f.authentication === "none" && f.shared_secret !== undefined) {
    report.error(
      "failover.authentication",
      'authentication = "none" but a shared_secret is set: which one is meant is unclear',
      'remove shared_secret, or remove authentication = "none" to sign messages with it',
    );
  }
  if (f.authentication === "none" && f.tls === undefined) {
    report.warn(
      "failover.authentication",
      'authentication = "none" and no [failover.tls]: anyone who reaches the failover port ' +
        "from the partner's address can change this box's leases",
      "set the same shared_secret on both boxes, or configure [failover.tls]",
    );
  }
  if (f.mode === "hot-standby" && f.reserve_percent === 0) {
    report.warn(
      "failover.reserve_percent",
      "reserve_percent is 0, so the secondary has no addresses of its own (BACKUP) for new clients",
      "keep some addresses for the secondary, e.g. reserve_percent = 10",
    );
  }
}
