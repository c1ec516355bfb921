/**
 * Structured logging through LogTape (the one logging library). Every line carries a stable
 * event id (e.g. "dhcp.drop", "failover.transition") as its message and the details as
 * properties; the same ids key the counters on /metrics.
 */
import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
} from "@logtape/logtape";
import type { LogLevel } from "../config/config.ts";
import type { EventLog } from "../event_log.ts";

function wrap(l: Logger): EventLog {
  // The event id is passed as a literal template with no placeholders; properties carry data.
  return {
    debug: (e, p) => l.debug(e, p ?? {}),
    info: (e, p) => l.info(e, p ?? {}),
    warn: (e, p) => l.warn(e, p ?? {}),
    error: (e, p) => l.error(e, p ?? {}),
    infoEnabled: () => l.isEnabledFor("info"),
  };
}

/**
 * Sets up the sink once per process: JSON lines on stderr (for journald and log shippers), or
 * readable text when TANDEM_LOG_FORMAT=text.
 */
export async function setupLogging(level: LogLevel, format: "json" | "text" = "json") {
  const formatter = format === "json" ? getJsonLinesFormatter() : getTextFormatter({
    value: (v) => typeof v === "string" ? v : Deno.inspect(v, { colors: false, compact: true }),
  });
  await configure({
    reset: true,
    sinks: { stderr: (r: LogRecord) => writeStderr(formatter(r)) },
    loggers: [
      { category: ["tandem"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

const encoder = new TextEncoder();

/** One synchronous write per line: lines never interleave and none is lost at exit. */
function writeStderr(line: string): void {
  const bytes = encoder.encode(line.endsWith("\n") ? line : line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

export function eventLog(...category: string[]): EventLog {
  return wrap(getLogger(["tandem", ...category]));
}
