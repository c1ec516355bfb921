/**
 * The command line: each command's flags, its usage text, and the parse of argv into a command
 * to run, a help text to print, or a one-line error. main.ts acts on the result.
 */
import { parseArgs } from "node:util";
import { VERSION } from "../version.ts";

type Option = { readonly type: "string" | "boolean"; readonly short?: string };

interface CommandSpec {
  readonly synopsis: string;
  readonly summary: string;
  /** Positional arguments the command takes at most. */
  readonly positionals: number;
  readonly options: Readonly<Record<string, Option>>;
  /** Flag column and its explanation, in the order shown. */
  readonly flags: readonly (readonly [string, string])[];
}

const CONFIG_FLAG = [
  "-c, --config FILE",
  "read the server's config file (default: the embedded example)",
] as const;

const BOX_FLAG = [
  "--box NAME",
  "in a config holding both boxes ([[box]]), be the box NAME (default: the box named after " +
  "this host, else the one with one of its addresses)",
] as const;

/** An operator call on the running server over HTTP, with the admin token. */
function adminCommand(name: string, summary: string): CommandSpec {
  return {
    synopsis: `tandem ${name} [--config FILE | --url URL] [--token TOKEN]`,
    summary,
    positionals: 0,
    options: {
      config: { type: "string", short: "c" },
      box: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
    },
    flags: [
      CONFIG_FLAG,
      BOX_FLAG,
      ["--url URL", "the server's HTTP endpoint, e.g. http://127.0.0.1:8067"],
      ["--token TOKEN", "the admin token (default: [http] admin_token of the config)"],
    ],
  };
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  run: {
    synopsis: "tandem run [--config FILE] [--box NAME] [--new-pair]",
    summary: "serve DHCP, failover and the HTTP endpoint from a config file",
    positionals: 1,
    options: {
      config: { type: "string", short: "c" },
      box: { type: "string" },
      "new-pair": { type: "boolean" },
    },
    flags: [
      ["-c, --config FILE", "config file (default: the embedded example, loopback only)"],
      BOX_FLAG,
      [
        "--new-pair",
        "first start of a brand-new failover pair (refused when the store holds leases); " +
        "without it a box with no failover record recovers from its partner and waits MCLT " +
        "before serving",
      ],
    ],
  },
  "check-config": {
    synopsis: "tandem check-config FILE [PARTNER_FILE] [--box NAME]",
    summary: "validate FILE (a pair file: as each box, then as a pair; with PARTNER_FILE: " +
      "both, then as a pair); exit 0, or print each error and exit 1",
    positionals: 2,
    options: { config: { type: "string", short: "c" }, box: { type: "string" } },
    flags: [
      ["-c, --config FILE", "the config file to validate (the same as giving FILE)"],
      ["--box NAME", "check a pair file as box NAME only"],
    ],
  },
  leases: {
    synopsis: "tandem leases [--json] [--state STATE] [--ip A | --mac M | --client-id HEX | " +
      "--history ADDRESS|MAC [--at TIME]] [--config FILE | --db PATH]",
    summary: "list leases from the database, or the history of an address or client " +
      "(safe while the server runs)",
    positionals: 0,
    options: {
      json: { type: "boolean" },
      state: { type: "string" },
      ip: { type: "string" },
      mac: { type: "string" },
      "client-id": { type: "string" },
      history: { type: "string" },
      at: { type: "string" },
      config: { type: "string", short: "c" },
      box: { type: "string" },
      db: { type: "string" },
    },
    flags: [
      ["--json", "print a JSON array instead of a table"],
      ["--state STATE", "only leases in STATE (active, free, expired, released, ...)"],
      ["--ip ADDRESS", "only the record of this address"],
      ["--mac MAC", "only the records naming this hardware address"],
      ["--client-id HEX", "only the records of this client identifier (option 61)"],
      ["--history ADDRESS|MAC", "every recorded change of this address or hardware address"],
      ["--at TIME", 'with --history: who held it then, e.g. "2026-12-05 14:05" (local time)'],
      CONFIG_FLAG,
      BOX_FLAG,
      ["--db PATH", "read this lease database instead of the config's"],
    ],
  },
  status: {
    synopsis: "tandem status [--json] [--config FILE | --url URL]",
    summary: "the state of a running server, in words; exit 0 when it is serving",
    positionals: 0,
    options: {
      json: { type: "boolean" },
      config: { type: "string", short: "c" },
      box: { type: "string" },
      url: { type: "string" },
    },
    flags: [
      ["--json", "print the raw /status document (with /readyz as 'ready')"],
      CONFIG_FLAG,
      BOX_FLAG,
      ["--url URL", "the server's HTTP endpoint, e.g. http://127.0.0.1:8067"],
    ],
  },
  maintenance: {
    ...adminCommand(
      "maintenance",
      "planned maintenance of this box: `start` hands the whole service to the partner " +
        "(SHUTDOWN, draft §9.14) and stops answering clients while the process runs; `stop` " +
        "returns it as a restart would (RECOVER, then NORMAL)",
    ),
    synopsis: "tandem maintenance start|stop [--config FILE | --url URL] [--token TOKEN]",
    positionals: 1,
  },
  lease: {
    ...adminCommand(
      "lease",
      "the operator's lease commands on the running server, each told to the partner: add a " +
        "lease, delete one (RESET on a pair), reclaim an address held out of use (or run the " +
        "expiry sweep now)",
    ),
    synopsis: "tandem lease add ADDRESS (--mac MAC | --client-id HEX) [--hostname NAME] " +
      "[--lease-sec N] | delete ADDRESS | reclaim [ADDRESS]   [--config FILE | --url URL] " +
      "[--token TOKEN]",
    positionals: 2,
    options: {
      ...adminCommand("lease", "").options,
      mac: { type: "string" },
      "client-id": { type: "string" },
      hostname: { type: "string" },
      "lease-sec": { type: "string" },
    },
    flags: [
      ["--mac MAC", "add: the client's hardware address"],
      ["--client-id HEX", "add: the client's identifier (option 61), in hex"],
      ["--hostname NAME", "add: the client's host name"],
      ["--lease-sec N", "add: the lease time (default: the subnet's default_sec)"],
      ...adminCommand("lease", "").flags,
    ],
  },
  "partner-down": adminCommand(
    "partner-down",
    "operator command: tell this box its failover partner is down",
  ),
  import: {
    synopsis: "tandem import --dhcpd-conf FILE [--dhcpd-leases FILE] [--out FILE] " +
      "[--state-dir DIR] [--server-id ADDRESS]",
    summary: "turn an ISC dhcpd configuration into a Tandem TOML and its lease file into a " +
      "new Tandem store; says what it could not translate",
    positionals: 0,
    options: {
      "dhcpd-conf": { type: "string" },
      "dhcpd-leases": { type: "string" },
      out: { type: "string" },
      "state-dir": { type: "string" },
      "server-id": { type: "string" },
    },
    flags: [
      ["--dhcpd-conf FILE", "the dhcpd.conf to translate (required)"],
      ["--dhcpd-leases FILE", "also import this dhcpd.leases into the new store"],
      ["--out FILE", "write the TOML here (default: standard output)"],
      ["--state-dir DIR", "the new box's state directory (default: /var/lib/tandem)"],
      ["--server-id ADDRESS", "this box's address (default: the failover peer's address)"],
    ],
  },
  reload: adminCommand(
    "reload",
    "operator command: the running server reads its config file again and applies what may " +
      "change live (the same as SIGHUP); otherwise it says why and keeps the old one",
  ),
  certs: {
    synopsis: "tandem certs [--out DIR] [--primary ADDRESS] [--secondary ADDRESS] [--days N]",
    summary: "make a CA and a certificate per box for mutual TLS on the failover link " +
      "([failover.tls], draft §11.2); prints the config lines for each box",
    positionals: 0,
    options: {
      out: { type: "string" },
      primary: { type: "string" },
      secondary: { type: "string" },
      days: { type: "string" },
      relationship: { type: "string" },
    },
    flags: [
      [
        "--out DIR",
        "where to write ca.crt, ca.key, primary.crt/.key, secondary.crt/.key " +
        "(default: ./tandem-certs)",
      ],
      ["--primary ADDRESS", "the primary's failover address, put in its certificate"],
      ["--secondary ADDRESS", "the secondary's failover address, put in its certificate"],
      ["--days N", "validity in days (default 3650)"],
      ["--relationship NAME", "named in the CA (default: tandem)"],
    ],
  },
  version: {
    synopsis: "tandem version",
    summary: "print the version of tandem and of Deno",
    positionals: 0,
    options: {},
    flags: [],
  },
};

const HELP_FLAG = ["-h, --help", "print this help"] as const;

/** One command's usage: synopsis, summary and flags (explanations wrapped at 80 columns). */
export function commandUsage(name: string): string {
  const spec = COMMANDS[name]!;
  // Long-only flags line up with the long half of "-c, --config".
  const flags = [...spec.flags, HELP_FLAG].map(([f, t]) => [/^-\w,/.test(f) ? f : `    ${f}`, t]);
  const width = Math.max(...flags.map(([f]) => f!.length));
  const lines = flags.map(([f, text]) => `  ${f!.padEnd(width)}  ${wrap(text!, 76 - width)}`);
  return `usage: ${spec.synopsis}\n\n${spec.summary}\n\nflags:\n${lines.join("\n")}`;
}

function wrap(text: string, width: number, indent = 80 - width): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  out.push(line);
  return out.join(`\n${" ".repeat(indent)}`);
}

/** Every command, one synopsis and one summary each. */
export function fullUsage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.synopsis}\n      ${c.summary}`);
  return `tandem ${VERSION}: a redundant DHCPv4 server

usage:
${lines.join("\n")}

'tandem COMMAND --help' prints the flags of COMMAND.`;
}

export type Values = Record<string, string | boolean | undefined>;

export type Parsed =
  | { readonly kind: "command"; readonly command: string; values: Values; positionals: string[] }
  /** Print text to stdout and exit 0. */
  | { readonly kind: "help"; readonly text: string }
  /** Print message, a blank line and usage to stderr, and exit 2. */
  | { readonly kind: "error"; readonly message: string; readonly usage: string };

export function parseCommandLine(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined) {
    return { kind: "error", message: "tandem: no command given", usage: fullUsage() };
  }
  if (command === "help" || command === "--help" || command === "-h") {
    const topic = rest[0];
    if (topic !== undefined && COMMANDS[topic] !== undefined) {
      return { kind: "help", text: commandUsage(topic) };
    }
    return { kind: "help", text: fullUsage() };
  }
  if (command === "--version") {
    return { kind: "command", command: "version", values: {}, positionals: [] };
  }
  const spec = COMMANDS[command];
  if (spec === undefined) {
    return { kind: "error", message: `tandem: unknown command '${command}'`, usage: fullUsage() };
  }
  const usage = commandUsage(command);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
    }) as { values: Values; positionals: string[] };
  } catch (e) {
    // parseArgs appends a long hint about "--" to unknown options: keep the first sentence.
    const text = e instanceof Error ? e.message.split(". To specify")[0]! : String(e);
    const message = `tandem ${command}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
    return { kind: "error", message, usage };
  }
  if (parsed.values.help === true) return { kind: "help", text: usage };
  const extra = parsed.positionals[spec.positionals];
  if (extra !== undefined) {
    return { kind: "error", message: `tandem ${command}: unexpected argument '${extra}'`, usage };
  }
  return { kind: "command", command, values: parsed.values, positionals: parsed.positionals };
}
