/**
 * `tandem import`: an ISC dhcpd 4.4 configuration and lease file turned into a Tandem TOML and
 * lease records, for the rolling migration of a dhcpd failover pair (README, "Migrating from
 * ISC dhcpd"). Pure: text in, text and records out. What it cannot translate is listed with
 * its line, never dropped silently.
 *
 * Understood in dhcpd.conf (dhcpd.conf(5)): authoritative; default-/min-/max-lease-time;
 * option NAME VALUE (the options Tandem knows, option_registry.ts); subnet A netmask M { ... };
 * range [dynamic-bootp] A [B]; pool { ... } (its ranges join the subnet's pool); host NAME {
 * hardware ethernet X; fixed-address A; option host-name "h"; }; failover peer "NAME" {
 * primary|secondary; address; port; peer address; peer port; mclt; split; load balance max
 * seconds; max-unacked-updates }. In dhcpd.leases (dhcpd.leases(5)): lease A { starts; ends;
 * cltt; binding state; hardware ethernet; uid; client-hostname }.
 */
import { emptyLease, type Lease } from "../lease/lease.ts";
import { optionByName } from "../wire/option_registry.ts";
import { formatIpv4, type Ipv4, parseIpv4 } from "../wire/ipv4.ts";

export interface ImportResult {
  readonly toml: string;
  /** "line N: what was not translated, and why". */
  readonly skipped: readonly string[];
}

interface Token {
  readonly text: string;
  readonly line: number;
  readonly quoted: boolean;
}

/** dhcpd.conf tokens: words, quoted strings, and the punctuation { } ; , */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\" && j + 1 < text.length) {
          const oct = /^[0-7]{3}/.exec(text.slice(j + 1, j + 4));
          if (oct !== null) {
            s += String.fromCharCode(parseInt(oct[0], 8));
            j += 4;
            continue;
          }
          j++;
        }
        if (text[j] === "\n") line++;
        s += text[j];
        j++;
      }
      out.push({ text: s, line, quoted: true });
      i = j + 1;
      continue;
    }
    if ("{};,".includes(c)) {
      out.push({ text: c, line, quoted: false });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{};,"#]/.test(text[j]!)) j++;
    out.push({ text: text.slice(i, j), line, quoted: false });
    i = j;
  }
  return out;
}

/** A statement: its words up to ";" or a block "{ ... }" of statements. */
interface Statement {
  readonly words: readonly Token[];
  readonly block?: readonly Statement[];
  readonly line: number;
}

function parseStatements(tokens: readonly Token[], at: { i: number }): Statement[] {
  const out: Statement[] = [];
  while (at.i < tokens.length) {
    const words: Token[] = [];
    while (at.i < tokens.length) {
      const t = tokens[at.i]!;
      if (!t.quoted && t.text === "}") break;
      if (!t.quoted && (t.text === ";" || t.text === "{")) break;
      words.push(t);
      at.i++;
    }
    const t = tokens[at.i];
    if (t === undefined || (!t.quoted && t.text === "}")) {
      if (words.length > 0) out.push({ words, line: words[0]!.line });
      at.i++;
      return out;
    }
    at.i++;
    if (t.text === "{") {
      const block = parseStatements(tokens, at);
      out.push({ words, block, line: words[0]?.line ?? t.line });
    } else if (words.length > 0) out.push({ words, line: words[0]!.line });
  }
  return out;
}

const q = (s: string) => JSON.stringify(s);
const said = (s: Statement) => s.words.map((w) => (w.quoted ? q(w.text) : w.text)).join(" ");

function netmaskBits(mask: string): number | undefined {
  const m = parseIpv4(mask);
  if (m === undefined) return undefined;
  const bits = m.toString(2).padStart(32, "0");
  return /^1*0*$/.test(bits) ? bits.indexOf("0") === -1 ? 32 : bits.indexOf("0") : undefined;
}

/** The value list of "option NAME a, b, c": words without the commas. */
function optionValue(words: readonly Token[]): { value: unknown; text: string } {
  const items = words.filter((w) => w.quoted || w.text !== ",");
  const values = items.map((w) => (w.quoted || !/^\d+$/.test(w.text) ? w.text : Number(w.text)));
  return {
    value: values.length === 1 ? values[0] : values,
    text: JSON.stringify(values.length === 1 ? values[0] : values),
  };
}

interface Subnet {
  cidr: string;
  network: number;
  bits: number;
  ranges: string[];
  options: string[];
  reservations: string[][];
  line: number;
}

export function importDhcpdConf(
  text: string,
  opts: { stateDir: string; serverId?: string },
): ImportResult {
  const skipped: string[] = [];
  const skip = (s: Statement, why: string): void => {
    skipped.push(`line ${s.line}: ${said(s)}: ${why}`);
  };
  const top = parseStatements(tokenize(text), { i: 0 });
  const globalLines: string[] = [];
  const lease: string[] = [];
  const globalOptions: string[] = [];
  const subnets: Subnet[] = [];
  const hosts: { ip: Ipv4; lines: string[]; s: Statement }[] = [];
  let failover: string[] | undefined;
  let role: "primary" | "secondary" | undefined;
  let myAddress: string | undefined;

  const option = (s: Statement, into: string[]): void => {
    const name = s.words[1]?.text ?? "";
    if (optionByName(name) === undefined) return skip(s, "an option Tandem does not know");
    if (name === "subnet-mask" || name === "broadcast-address") {
      return skip(s, "Tandem derives it from the subnet's cidr");
    }
    into.push(`${name} = ${optionValue(s.words.slice(2)).text}`);
  };
  const range = (s: Statement, sub: Subnet): void => {
    const w = s.words.slice(1).filter((x) => x.text !== "dynamic-bootp").map((x) => x.text);
    const [a, b = a] = w;
    if (a === undefined || parseIpv4(a) === undefined || parseIpv4(b!) === undefined) {
      return skip(s, "not a range of two addresses");
    }
    sub.ranges.push(`${a}-${b}`);
  };
  const host = (s: Statement): void => {
    let hw: string | undefined;
    let ip: Ipv4 | undefined;
    let hostname: string | undefined;
    for (const h of s.block ?? []) {
      const k = h.words.map((w) => w.text);
      if (k[0] === "hardware" && k[1] === "ethernet") hw = k[2];
      else if (k[0] === "fixed-address") ip = parseIpv4(k[1] ?? "");
      else if (k[0] === "option" && k[1] === "host-name") hostname = k[2];
      else skip(h, "not translated inside a host");
    }
    if (hw === undefined || ip === undefined) {
      return skip(s, "a host needs hardware ethernet and one fixed-address (an IPv4 address)");
    }
    const lines = [`hw_address = ${q(hw)}`, `ip = ${q(formatIpv4(ip))}`];
    if (hostname !== undefined) lines.push(`hostname = ${q(hostname)}`);
    hosts.push({ ip, lines, s });
  };
  const peer = (s: Statement) => {
    const name = s.words[2]?.text ?? "tandem";
    const f = [`relationship = ${q(name)}`];
    let split: number | undefined;
    for (const p of s.block ?? []) {
      const k = p.words.map((w) => w.text);
      const n = Number(k.at(-1));
      if (k[0] === "primary" || k[0] === "secondary") role = k[0];
      else if (k[0] === "address") f.push(`my_address = ${q(myAddress = k[1] ?? "")}`);
      else if (k[0] === "port") f.push(`my_port = ${n}`);
      else if (k[0] === "peer" && k[1] === "address") f.push(`partner_address = ${q(k[2] ?? "")}`);
      else if (k[0] === "peer" && k[1] === "port") f.push(`partner_port = ${n}`);
      else if (k[0] === "mclt") f.push(`mclt_sec = ${n}`);
      else if (k[0] === "split") split = n;
      else if (k.join(" ").startsWith("load balance max seconds")) {
        f.push(`load_balance_max_secs = ${n}`);
      } else if (k[0] === "max-unacked-updates") f.push(`max_unacked_bndupd = ${n}`);
      else if (k[0] === "max-response-delay") {
        const ms = Math.max(3, n) * 1000;
        f.push(`receive_timer_ms = ${ms}`, `contact_interval_ms = ${Math.floor(ms / 3)}`);
      } else skip(p, "not translated in a failover peer");
    }
    // dhcpd sends CONTACT every third of the receive timer we advertise (whole seconds).
    if (!f.some((l) => l.startsWith("receive_timer_ms"))) {
      f.push("receive_timer_ms = 3000", "contact_interval_ms = 1000");
    }
    // dhcpd's split: buckets the primary serves; all of them is hot-standby.
    if (split === undefined || split >= 256) f.push(`mode = "hot-standby"`);
    else f.push(`mode = "load-balancing"`, `split = ${split}`);
    // The Tandem box pairs with the dhcpd box that stays, during the migration.
    f.push(`partner = "isc-dhcpd"`, `authentication = "none"`);
    failover = f;
  };
  const subnetOf = (s: Statement): Subnet | undefined => {
    const [, addr, , mask] = s.words.map((w) => w.text);
    const bits = netmaskBits(mask ?? "");
    const net = parseIpv4(addr ?? "");
    if (bits === undefined || net === undefined || s.words[2]?.text !== "netmask") {
      skip(s, "expected: subnet ADDRESS netmask MASK { ... }");
      return undefined;
    }
    const sub: Subnet = {
      cidr: `${addr}/${bits}`,
      network: net,
      bits,
      ranges: [],
      options: [],
      reservations: [],
      line: s.line,
    };
    const inner = (list: readonly Statement[]) => {
      for (const x of list) {
        const k = x.words[0]?.text;
        if (k === "range") range(x, sub);
        else if (k === "option") option(x, sub.options);
        else if (k === "pool") inner(x.block ?? []);
        else if (k === "host") host(x);
        else if (k === "failover" && x.words[1]?.text === "peer") continue; // the pair's pool
        else if (k === "authoritative") globalLines.push("authoritative = true");
        else skip(x, "not translated inside a subnet");
      }
    };
    inner(s.block ?? []);
    return sub;
  };

  for (const s of top) {
    const k = s.words.map((w) => w.text);
    if (k[0] === "subnet") {
      const sub = subnetOf(s);
      if (sub !== undefined) subnets.push(sub);
    } else if (k[0] === "host") host(s);
    else if (k[0] === "option") option(s, globalOptions);
    else if (k[0] === "authoritative") globalLines.push("authoritative = true");
    else if (k[0] === "default-lease-time") lease.push(`default_sec = ${Number(k[1])}`);
    else if (k[0] === "max-lease-time") lease.push(`max_sec = ${Number(k[1])}`);
    else if (k[0] === "min-lease-time") lease.push(`min_sec = ${Number(k[1])}`);
    else if (k[0] === "failover" && k[1] === "peer") peer(s);
    else if (k[0] === "ddns-update-style" && k[1] === "none") continue;
    else skip(s, "not translated");
  }
  for (const h of hosts) {
    const sub = subnets.find((x) => {
      const mask = x.bits === 0 ? 0 : (0xffffffff << (32 - x.bits)) >>> 0;
      return ((h.ip & mask) >>> 0) === x.network;
    });
    if (sub === undefined) skip(h.s, "its fixed-address is in no declared subnet");
    else sub.reservations.push(h.lines);
  }
  const serverId = opts.serverId ?? myAddress;
  const out: string[] = [
    "# Made by `tandem import` from an ISC dhcpd configuration; check it with",
    "# `tandem check-config` before use.",
    `role = ${q(failover === undefined ? "standalone" : role ?? "primary")}`,
    serverId === undefined
      ? '# server_id = "..."  # not in the dhcpd file: set this box\'s own address'
      : `server_id = ${q(serverId)}`,
    ...[...new Set(globalLines)],
    "",
    "[store]",
    `state_dir = ${q(opts.stateDir)}`,
  ];
  if (lease.length > 0) out.push("", "[lease]", ...lease);
  if (globalOptions.length > 0) out.push("", "[options]", ...globalOptions);
  if (failover !== undefined) out.push("", "[failover]", ...failover);
  for (const sub of subnets) {
    out.push("", "[[subnet]]", `cidr = ${q(sub.cidr)}`);
    // A subnet without ranges only marks an interface's network (dhcpd needs one per
    // interface): a subnet with no pool here, answering reservations only.
    if (sub.options.length > 0) out.push("[subnet.options]", ...sub.options);
    if (sub.ranges.length > 0) {
      out.push("[[subnet.pool]]", `ranges = [${sub.ranges.map(q).join(", ")}]`);
    }
    for (const r of sub.reservations) out.push("[[subnet.reservation]]", ...r);
  }
  return { toml: out.join("\n") + "\n", skipped };
}

/** dhcpd.leases "6 2026/12/05 14:11:00" (UTC) or "epoch 1733400000;" to epoch seconds. */
function leaseTime(words: readonly string[]): number | undefined {
  if (words[0] === "never") return 0xffffffff;
  if (words[0] === "epoch") return Number(words[1]);
  const [date, time] = [words[1], words[2]];
  const t = Date.parse(`${(date ?? "").replaceAll("/", "-")}T${time}Z`);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

const ISC_STATES: Readonly<Record<string, Lease["state"]>> = {
  free: "free",
  active: "active",
  expired: "expired",
  released: "released",
  abandoned: "abandoned",
  reset: "reset",
  backup: "backup",
};

/**
 * The latest record of each address in a dhcpd.leases file, as Tandem leases of subnetOf(ip)
 * (undefined: the address is in no subnet of the new config, and it is skipped).
 */
export function importDhcpdLeases(
  text: string,
  subnetOf: (ip: Ipv4) => number | undefined,
): { leases: Lease[]; skipped: string[] } {
  const latest = new Map<Ipv4, Lease>();
  const skipped: string[] = [];
  for (const s of parseStatements(tokenize(text), { i: 0 })) {
    if (s.words[0]?.text !== "lease" || s.block === undefined) continue;
    const ip = parseIpv4(s.words[1]?.text ?? "");
    const subnet = ip === undefined ? undefined : subnetOf(ip);
    if (ip === undefined || subnet === undefined) {
      skipped.push(`line ${s.line}: lease ${s.words[1]?.text}: in no subnet of the config`);
      continue;
    }
    let l: Lease = emptyLease(ip, subnet, "free", 0);
    for (const x of s.block) {
      const k = x.words.map((w) => w.text);
      if (k[0] === "starts") l = { ...l, startSec: leaseTime(k.slice(1)) ?? 0 };
      else if (k[0] === "ends") l = { ...l, endSec: leaseTime(k.slice(1)) ?? 0 };
      else if (k[0] === "cltt") l = { ...l, clttSec: leaseTime(k.slice(1)) ?? 0 };
      else if (k[0] === "binding" && k[1] === "state") {
        l = { ...l, state: ISC_STATES[k[2] ?? ""] ?? "free" };
      } else if (k[0] === "hardware" && k[1] === "ethernet") {
        const hw = (k[2] ?? "").replaceAll(":", "").toLowerCase();
        l = { ...l, hwType: 1, hwAddr: hw };
      } else if (k[0] === "uid") {
        const raw = x.words[1];
        const bytes = raw === undefined
          ? ""
          : raw.quoted
          ? [...raw.text].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("")
          : raw.text.replaceAll(":", "").toLowerCase();
        l = { ...l, clientId: bytes };
      } else if (k[0] === "client-hostname") l = { ...l, hostname: x.words[1]?.text ?? "" };
    }
    // RFC 2131 §4.2: the client is option 61 when it sent one, else htype + chaddr.
    const clientKey = l.clientId !== ""
      ? `id:${l.clientId}`
      : l.hwAddr !== ""
      ? `hw:01:${l.hwAddr}`
      : "";
    latest.set(ip, { ...l, clientKey });
  }
  return { leases: [...latest.values()], skipped };
}
