/**
 * Tandem: a redundant DHCPv4 server. Composition root: argv -> config -> adapters -> run.
 *
 *   tandem run [--config FILE] [--new-pair]   serve (no --config: the embedded example)
 *   tandem check-config FILE            validate a config; exit 0 or print every error
 *   tandem leases [--json] [--state S] [--config FILE | --db PATH]
 *   tandem status [--config FILE | --url URL]
 *   tandem partner-down [--config FILE | --url URL] [--token T]
 *   tandem version
 */
import { parseArgs } from "node:util";
import { ConfigError, formatIssues, parseConfig } from "./lib/config/parse_config.ts";
import type { Config } from "./lib/config/config.ts";
import { boot, DB_FILE, NewPairRefused, StateLocked } from "./lib/platform/boot.ts";
import { setupLogging } from "./lib/platform/log.ts";
import { TlsConfigError } from "./lib/platform/peer_tls.ts";
import { onTerminate } from "./lib/platform/signals.ts";
import { VERSION } from "./lib/version.ts";
import { printLeases } from "./lib/platform/leases_command.ts";
import { printStatus, requestPartnerDown } from "./lib/platform/status_command.ts";

const USAGE = `tandem ${VERSION}: a redundant DHCPv4 server

usage:
  tandem run [--config FILE] [--new-pair]
                                    serve DHCP (default: the embedded example config, loopback only);
                                    --new-pair: first start of a brand-new failover pair (refused when
                                    the store holds leases); without it a box with no failover record
                                    recovers from its partner and waits MCLT before serving
  tandem check-config FILE          validate FILE; exit 0, or print each error and exit 1
  tandem leases [--json] [--state STATE] [--config FILE | --db PATH]
  tandem status [--config FILE | --url URL]
  tandem partner-down [--config FILE | --url URL] [--token TOKEN]
  tandem version
`;

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
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      json: { type: "boolean" },
      state: { type: "string" },
      db: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      "new-pair": { type: "boolean" },
    },
  });
  switch (command) {
    case "run": {
      const config = await loadConfig(values.config ?? positionals[0]);
      const format = Deno.env.get("TANDEM_LOG_FORMAT") === "text" ? "text" : "json";
      await setupLogging(config.logLevel, format);
      const running = await boot(config, values["new-pair"] === true ? { newPair: true } : {});
      onTerminate(() => running.stop());
      await running.done;
      await running.stop(); // the same stop the signal started: wait for it to finish
      return 0;
    }
    case "check-config": {
      const file = values.config ?? positionals[0];
      if (file === undefined) {
        console.error("usage: tandem check-config FILE");
        return 2;
      }
      await loadConfig(file);
      console.log(`${file}: ok`);
      return 0;
    }
    case "leases": {
      const db = values.db ?? `${(await loadConfig(values.config)).stateDir}/${DB_FILE}`;
      return printLeases(db, { json: values.json === true, state: values.state });
    }
    case "status": {
      const url = values.url ?? httpUrl(await loadConfig(values.config));
      return await printStatus(url, values.json === true);
    }
    case "partner-down": {
      const config = values.url === undefined ? await loadConfig(values.config) : undefined;
      const url = values.url ?? httpUrl(config!);
      return await requestPartnerDown(url, values.token ?? config?.http.adminToken);
    }
    case "version":
    case "--version":
      console.log(`tandem ${VERSION} (deno ${Deno.version.deno})`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`tandem: unknown command '${command}'\n\n${USAGE}`);
      return 2;
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
    if (e instanceof Error && e.name === "TypeError" && /parseArgs|option/i.test(e.message)) {
      console.error(`tandem: ${e.message}\n\n${USAGE}`);
      Deno.exit(2);
    }
    throw e;
  }
}
