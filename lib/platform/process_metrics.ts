/**
 * Process gauges for /metrics, read when scraped: resident memory (the Prometheus client
 * convention's name) and the V8 heap, so an operator sees growth before the OOM killer does.
 */
import type { Registry } from "../http/metrics.ts";

export function registerProcessMetrics(registry: Registry): void {
  registry.gauge(
    "process_resident_memory_bytes",
    "Resident set size of the Tandem process",
    () => [[{}, Deno.memoryUsage().rss]],
  );
  registry.gauge(
    "tandem_js_heap_bytes",
    "V8 heap: used and total (committed) bytes, and external (ArrayBuffer) bytes",
    () => {
      const m = Deno.memoryUsage();
      return [
        [{ kind: "used" }, m.heapUsed],
        [{ kind: "total" }, m.heapTotal],
        [{ kind: "external" }, m.external],
      ];
    },
  );
}
