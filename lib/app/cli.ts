/**
 * The command line of main.ts: each command, the config it loads, and the one-line errors for
 * what an operator can fix (config, --new-pair, state lock, TLS files, a port in use).
 */
import { ConfigError, formatIssues, parseConfig } from "../config/parse_config.ts";
import type { Config } from "../config/config.ts";
import { type BoxChoice, boxNames } from "../config/pair_file.ts";
import { checkPair } from "../config/pair_check.ts";
import { readToml } from "../config/toml.ts";
import { fingerprintText } from "../failover/fingerprint.ts";
import { boot, DB_FILE, NewPairRefused, StateLocked } from "./boot.ts";
import { setupLogging } from "../platform/log.ts";
import { TlsConfigError } from "../platform/peer_tls.ts";
import { onReload, onTerminate } from "../platform/signals.ts";
import { VERSION } from "../version.ts";
import { printHistory, printLeases } from "./leases_command.ts";
import { runImport } from "./import_command.ts";
import { adminCall, printStatus } from "./status_command.ts";
import { LISTEN_FAILED_EXIT, ListenFailed } from "../platform/listen_error.ts";
import { COMMANDS, parseCommandLine, type Values } from "./cli_args.ts";
import { makePairCertificates, writePairCertificates } from "./certs.ts";

const EXAMPLE_URL = new URL("../../tandem.example.toml", import.meta.url);

/** How this host finds its [[box]] in a pair file: --box, else hostname, else its addresses. */
function hostIdentity(box: string | undefined): BoxChoice {
  if (box !== undefined) return { box };
  let hostname: string | undefined;
  let addresses: string[] = [];
  try {
    hostname = Deno.hostname();
    addresses = Deno.networkInterfaces().map((i) => i.address);
  } catch { /* no permission: --box is then needed for a pair file */ }
  return { ...(hostname === undefined ? {} : { hostname }), addresses };
}

async function loadConfig(path: string | undefined, box?: string): Promise<Config> {
  return (await loadConfigText(path, hostIdentity(box))).config;
}

async function loadConfigText(
  path: string | undefined,
  who: BoxChoice,
): Promise<{ config: Config; text: string; box?: string }> {
  const source = path ?? "embedded tandem.example.toml";
  let text: string;
  try {
    text = await Deno.readTextFile(path ?? EXAMPLE_URL);
  } catch (e) {
    throw new ConfigError(source, [{
      path: "(file)",
      problem: `cannot read the config file: ${e instanceof Error ? e.message : String(e)}`,
      fix: "check the path and that the tandem user may read it",
    }]);
  }
  const r = parseConfig(text, source, who);
  if (!r.ok) {
    throw new ConfigError(who.box === undefined ? source : `${source} (box ${who.box})`, r.errors);
  }
  if (r.warnings.length > 0) console.error(formatIssues(source, r.warnings));
  return { config: r.config, text, ...(r.box === undefined ? {} : { box: r.box }) };
}

/**
 * check-config: one file (a per-box file, or a pair file checked as each of its boxes), or two
 * per-box files; a pair is then also checked as a whole (pair_check.ts).
 */
async function checkConfigCommand(files: string[], box: string | undefined): Promise<number> {
  const loaded: Config[] = [];
  const names: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file).catch(() => "");
    const boxes = box === undefined ? boxNames(readDoc(text)) : [];
    // A pair file is checked as each of its boxes (and then as a pair); --box checks one.
    for (const name of boxes.length > 0 ? boxes : [box]) {
      loaded.push((await loadConfigText(file, name === undefined ? {} : { box: name })).config);
      names.push(name === undefined ? file : `${file} as box ${name}`);
    }
  }
  if (loaded.length === 2) {
    const problems = checkPair(loaded[0]!, loaded[1]!, fingerprintText);
    if (problems.length > 0) {
      console.error(`${names.join(" + ")}: ${problems.length} problem(s) as a pair`);
      for (const p of problems) console.error(`  ${p.key}: ${p.problem}`);
      return 1;
    }
    console.log(`${names.join(" + ")}: ok, and they fit together as a pair`);
    return 0;
  }
  console.log(`${names[0]}: ok`);
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === "help") {
    console.log(parsed.text);
    return 0;
  }
  if (parsed.kind === "error") {
    console.error(`${parsed.message}\n\n${parsed.usage}`);
    return 2;
  }
  return await runCommand(parsed.command, parsed.values, parsed.positionals);
}

async function runCommand(command: string, values: Values, positionals: string[]): Promise<number> {
  const str = (k: string) => typeof values[k] === "string" ? values[k] as string : undefined;
  switch (command) {
    case "run": {
      const file = str("config") ?? positionals[0];
      const config = await loadConfig(file, str("box"));
      const format = Deno.env.get("TANDEM_LOG_FORMAT") === "text" ? "text" : "json";
      await setupLogging(config.logLevel, format);
      const running = await boot(config, {
        ...(values["new-pair"] === true ? { newPair: true } : {}),
        reloadSource: () => loadConfig(file, str("box")),
        onLogLevel: (level) => setupLogging(level, format),
      });
      onTerminate(() => running.stop());
      onReload(() => void running.reload());
      await running.done;
      await running.stop(); // the same stop the signal started: wait for it to finish
      return 0;
    }
    case "check-config": {
      const files = [...(str("config") === undefined ? [] : [str("config")!]), ...positionals];
      if (files.length === 0 || files.length > 2) {
        console.error("usage: tandem check-config FILE [PARTNER_FILE] [--box NAME]");
        return 2;
      }
      return await checkConfigCommand(files, str("box"));
    }
    case "leases": {
      const db = str("db") ??
        `${(await loadConfig(str("config"), str("box"))).stateDir}/${DB_FILE}`;
      const history = str("history");
      if (history !== undefined) {
        return printHistory(db, history, { json: values.json === true, at: str("at") });
      }
      const find = str("ip") !== undefined
        ? { ip: str("ip")! }
        : str("mac") !== undefined
        ? { mac: str("mac")! }
        : str("client-id") !== undefined
        ? { clientId: str("client-id")! }
        : undefined;
      return printLeases(db, {
        json: values.json === true,
        state: str("state"),
        ...(find === undefined ? {} : { find }),
      });
    }
    case "status": {
      const url = str("url") ?? httpUrl(await loadConfig(str("config"), str("box")));
      return await printStatus(url, values.json === true);
    }
    case "partner-down": {
      const config = str("url") === undefined
        ? await loadConfig(str("config"), str("box"))
        : undefined;
      const url = str("url") ?? httpUrl(config!);
      return await adminCall("partner-down", url, str("token") ?? config?.http.adminToken);
    }
    case "import": {
      const conf = str("dhcpd-conf");
      if (conf === undefined) {
        console.error("tandem import: --dhcpd-conf FILE is required");
        return 2;
      }
      const opt = (k: string, as: string) => str(k) === undefined ? {} : { [as]: str(k) };
      return await runImport({
        conf,
        ...opt("dhcpd-leases", "leases"),
        ...opt("out", "out"),
        ...opt("state-dir", "stateDir"),
        ...opt("server-id", "serverId"),
      });
    }
    case "lease": {
      const [action, address] = positionals;
      const usage = COMMANDS.lease!.synopsis;
      if (action !== "add" && action !== "delete" && action !== "reclaim") {
        console.error(`usage: ${usage}`);
        return 2;
      }
      if (address === undefined && action !== "reclaim") {
        console.error(`tandem lease ${action}: the ADDRESS is missing\n\nusage: ${usage}`);
        return 2;
      }
      const config = str("url") === undefined
        ? await loadConfig(str("config"), str("box"))
        : undefined;
      const url = str("url") ?? httpUrl(config!);
      const leaseSec = str("lease-sec");
      const body = {
        ...(address === undefined ? {} : { ip: address }),
        ...(str("mac") === undefined ? {} : { mac: str("mac") }),
        ...(str("client-id") === undefined ? {} : { client_id: str("client-id") }),
        ...(str("hostname") === undefined ? {} : { hostname: str("hostname") }),
        ...(leaseSec === undefined ? {} : { lease_sec: Number(leaseSec) }),
      };
      return await adminCall(
        `leases/${action}`,
        url,
        str("token") ?? config?.http.adminToken,
        body,
      );
    }
    case "maintenance": {
      const action = positionals[0];
      if (action !== "start" && action !== "stop") {
        console.error(
          "usage: tandem maintenance start|stop [--config FILE | --url URL] [--token T]",
        );
        return 2;
      }
      const config = str("url") === undefined
        ? await loadConfig(str("config"), str("box"))
        : undefined;
      const url = str("url") ?? httpUrl(config!);
      return await adminCall(`maintenance/${action}`, url, str("token") ?? config?.http.adminToken);
    }
    case "reload": {
      const config = str("url") === undefined
        ? await loadConfig(str("config"), str("box"))
        : undefined;
      const url = str("url") ?? httpUrl(config!);
      return await adminCall("reload", url, str("token") ?? config?.http.adminToken);
    }
    case "certs": {
      const days = Number(str("days") ?? "3650");
      if (!Number.isInteger(days) || days < 1) {
        console.error("tandem certs: --days takes a whole number of days, e.g. --days 3650");
        return 2;
      }
      const out = str("out") ?? "tandem-certs";
      const certs = await makePairCertificates(
        [
          { name: "primary", address: str("primary") ?? "127.0.0.1" },
          { name: "secondary", address: str("secondary") ?? "127.0.0.1" },
        ],
        days,
        str("relationship") ?? "tandem",
      );
      console.log(await writePairCertificates(out, certs));
      return 0;
    }
    default: // version
      console.log(`tandem ${VERSION} (deno ${Deno.version.deno})`);
      return 0;
  }
}

function readDoc(text: string): unknown {
  const r = readToml(text);
  return r.ok ? r.doc : undefined;
}

function httpUrl(config: Config): string {
  const host = config.http.address === "0.0.0.0" ? "127.0.0.1" : config.http.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.http.port}`;
}

/** The whole command line: runs a command and returns its exit code (main.ts exits with it). */
export async function cliMain(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    if (
      e instanceof ConfigError || e instanceof NewPairRefused || e instanceof StateLocked ||
      e instanceof TlsConfigError
    ) {
      console.error(e instanceof ConfigError ? e.message : `tandem: ${e.message}`);
      return 1;
    }
    if (e instanceof ListenFailed) {
      console.error(`tandem: ${e.message}`);
      return LISTEN_FAILED_EXIT;
    }
    throw e;
  }
}
