/**
 * Tandem: a redundant DHCPv4 server. Composition root: argv -> config -> adapters -> run.
 *
 *   tandem run [--config FILE] [--new-pair]   serve (no --config: the embedded example)
 *   tandem check-config FILE            validate a config; exit 0 or print every error
 *   tandem leases [--json] [--state S] [--config FILE | --db PATH]
 *   tandem status [--config FILE | --url URL]
 *   tandem partner-down [--config FILE | --url URL] [--token T]
 *   tandem certs [--out DIR] [--primary ADDRESS] [--secondary ADDRESS]
 *   tandem version
 * Each command also takes --help (lib/platform/cli_args.ts holds the flags and usage texts).
 */
import { ConfigError, formatIssues, parseConfig } from "./lib/config/parse_config.ts";
import type { Config } from "./lib/config/config.ts";
import { boot, DB_FILE, NewPairRefused, StateLocked } from "./lib/platform/boot.ts";
import { setupLogging } from "./lib/platform/log.ts";
import { TlsConfigError } from "./lib/platform/peer_tls.ts";
import { onTerminate } from "./lib/platform/signals.ts";
import { VERSION } from "./lib/version.ts";
import { printLeases } from "./lib/platform/leases_command.ts";
import { printStatus, requestPartnerDown } from "./lib/platform/status_command.ts";
import { LISTEN_FAILED_EXIT, ListenFailed } from "./lib/platform/listen_error.ts";
import { parseCommandLine, type Values } from "./lib/platform/cli_args.ts";
import { makePairCertificates, writePairCertificates } from "./lib/platform/certs.ts";

const EXAMPLE_URL = new URL("./tandem.example.toml", import.meta.url);

async function loadConfig(path: string | undefined): Promise<Config> {
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
  const r = parseConfig(text, source);
  if (!r.ok) throw new ConfigError(source, r.errors);
  if (r.warnings.length > 0) console.error(formatIssues(source, r.warnings));
  return r.config;
}

async function main(argv: string[]): Promise<number> {
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
      const config = await loadConfig(str("config") ?? positionals[0]);
      const format = Deno.env.get("TANDEM_LOG_FORMAT") === "text" ? "text" : "json";
      await setupLogging(config.logLevel, format);
      const running = await boot(config, values["new-pair"] === true ? { newPair: true } : {});
      onTerminate(() => running.stop());
      await running.done;
      await running.stop(); // the same stop the signal started: wait for it to finish
      return 0;
    }
    case "check-config": {
      const file = str("config") ?? positionals[0];
      if (file === undefined) {
        console.error("usage: tandem check-config FILE");
        return 2;
      }
      await loadConfig(file);
      console.log(`${file}: ok`);
      return 0;
    }
    case "leases": {
      const db = str("db") ?? `${(await loadConfig(str("config"))).stateDir}/${DB_FILE}`;
      return printLeases(db, { json: values.json === true, state: str("state") });
    }
    case "status": {
      const url = str("url") ?? httpUrl(await loadConfig(str("config")));
      return await printStatus(url, values.json === true);
    }
    case "partner-down": {
      const config = str("url") === undefined ? await loadConfig(str("config")) : undefined;
      const url = str("url") ?? httpUrl(config!);
      return await requestPartnerDown(url, str("token") ?? config?.http.adminToken);
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

function httpUrl(config: Config): string {
  const host = config.http.address === "0.0.0.0" ? "127.0.0.1" : config.http.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.http.port}`;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (
      e instanceof ConfigError || e instanceof NewPairRefused || e instanceof StateLocked ||
      e instanceof TlsConfigError
    ) {
      console.error(e instanceof ConfigError ? e.message : `tandem: ${e.message}`);
      Deno.exit(1);
    }
    if (e instanceof ListenFailed) {
      console.error(`tandem: ${e.message}`);
      Deno.exit(LISTEN_FAILED_EXIT);
    }
    throw e;
  }
}
