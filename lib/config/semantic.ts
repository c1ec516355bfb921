/**
 * The second and last step from a schema-valid document to the typed Config: semantic checks
 * (addresses, ports, lease-time order, the role and its [failover] table; subnets, pools and
 * reservations in semantic_subnets.ts) that build the Config from the values they parse, so
 * each value is parsed once. Every finding names its key path, what is wrong and how to fix
 * it; nothing stops at the first. The Config returned is meaningful only when nothing was
 * reported as an error.
 */
import { formatIpv4, type Ipv4, ipv4 } from "../wire/ipv4.ts";
import type { Config, FailoverConfig } from "./config.ts";
import type { RawConfig, RawFailover } from "./schema.ts";
import { checkSubnets } from "./semantic_subnets.ts";
import {
  checkAddress,
  checkLeaseTimes,
  checkOptions,
  type Reporter,
  toLeaseTimes,
} from "./semantic_values.ts";
import { parseHostPort } from "./value_text.ts";

/** Shortest shared secret / admin token accepted (about 96 bits of typed randomness). */
export const MIN_SECRET_LENGTH = 16;

export function checkSemantics(raw: RawConfig, report: Reporter): Config {
  const serverId = checkServerId(raw.server_id, report);
  const listen = checkListen(raw, report);
  checkLeaseTimes(raw.lease, "lease", report);
  checkRole(raw, report);
  const options = checkOptions(raw.options, "options", report);
  const subnets = checkSubnets(raw, serverId, report);
  const { dhcp, http } = raw;
  const config: Config = {
    role: raw.role,
    serverId: serverId ?? ipv4(0),
    dhcp: {
      address: dhcp.listen_address,
      port: dhcp.port,
      clientPort: dhcp.client_port,
      ...(dhcp.broadcast_address === undefined ? {} : { broadcastAddress: dhcp.broadcast_address }),
      ...(dhcp.interface === undefined ? {} : { interface: dhcp.interface }),
    },
    authoritative: raw.authoritative,
    offerHoldSec: raw.offer_hold_sec,
    declineProbationSec: raw.decline_probation_sec,
    leaseTimes: toLeaseTimes(raw.lease),
    options,
    subnets,
    http: {
      address: listen?.address ?? "",
      port: listen?.port ?? 0,
      ...(http.admin_token === undefined ? {} : { adminToken: http.admin_token }),
    },
    stateDir: raw.store.state_dir,
    poolLowPercent: raw.pool_low_percent,
    commitWindowMs: raw.store.commit_window_ms,
    historyDays: raw.store.history_days,
    logLevel: raw.log.level,
  };
  return raw.failover === undefined || raw.role === "standalone"
    ? config
    : { ...config, failover: toFailover(raw.failover) };
}

function toFailover(f: RawFailover): FailoverConfig {
  return {
    relationshipName: f.relationship,
    myAddress: f.my_address,
    myPort: f.my_port,
    partnerAddress: f.partner_address,
    partnerPort: f.partner_port,
    mode: f.mode,
    mcltSec: f.mclt_sec,
    split: f.split,
    reservePercent: f.reserve_percent,
    loadBalanceMaxSecs: f.load_balance_max_secs,
    contactIntervalMs: f.contact_interval_ms,
    receiveTimerMs: f.receive_timer_ms,
    autoPartnerDownSec: f.auto_partner_down_sec,
    relayAlarmSec: f.relay_alarm_sec,
    maxUnackedBndupd: f.max_unacked_bndupd,
    partner: f.partner,
    authentication: f.authentication,
    sharedSecret: f.shared_secret ?? "",
    maxClockSkewSec: f.max_clock_skew_sec,
    ...(f.tls === undefined
      ? {}
      : { tls: { certFile: f.tls.cert, keyFile: f.tls.key, caFile: f.tls.ca } }),
  };
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

function checkListen(
  raw: RawConfig,
  report: Reporter,
): { address: string; port: number } | undefined {
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
  const parsed = parseHostPort(http.listen);
  if (!parsed.ok) report.error("http.listen", parsed.problem, parsed.fix);
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
  return parsed.ok ? parsed.value : undefined;
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
  if (f.partner === "isc-dhcpd" && f.authentication !== "none") {
    report.error(
      "failover.authentication",
      "ISC dhcpd 4.4 signs no failover message and drops none for lacking a digest, so a " +
        "digest cannot protect this link",
      'set authentication = "none" and carry the failover link on a dedicated link or VLAN',
      "failover.partner",
    );
  }
  if (f.partner === "isc-dhcpd" && f.receive_timer_ms < 3000) {
    report.error(
      "failover.receive_timer_ms",
      `receive_timer_ms is ${f.receive_timer_ms}: ISC dhcpd sends CONTACT every third of the ` +
        "receive timer we advertise, in whole seconds, so below 3 s it floods the link",
      "set receive_timer_ms = 3000 (or more) and contact_interval_ms = 1000 while the partner " +
        "is ISC dhcpd",
      "failover.partner",
    );
  }
  if (f.partner === "isc-dhcpd" && f.tls !== undefined) {
    report.error(
      "failover.tls",
      "ISC dhcpd 4.4 does not speak TLS on the failover link",
      "remove [failover.tls] while the partner is ISC dhcpd",
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
