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
import { cliMain } from "./lib/app/cli.ts";

if (import.meta.main) Deno.exit(await cliMain(Deno.args));
