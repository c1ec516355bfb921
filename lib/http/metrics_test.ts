import { equal, ok as assert } from "node:assert/strict";
import { Registry } from "./metrics.ts";

Deno.test("Registry renders labelled counters, gauges and histograms", () => {
  const r = new Registry();
  const c = r.counter("tandem_x_total", "X.");
  c.inc({ type: "ACK" });
  c.inc({ type: "ACK" }, 2);
  c.inc({ type: 'N"AK' });
  r.gauge("tandem_g", "G.", () => [[{ subnet: "1" }, 7]]);
  const h = r.histogram("tandem_h_seconds", "H.", [0.001, 0.01]);
  h.observe(0.005);
  h.observe(0.5);
  const text = r.render();
  assert(text.includes('tandem_x_total{type="ACK"} 3\n'));
  assert(text.includes('tandem_x_total{type="N\\"AK"} 1\n'));
  assert(text.includes('tandem_g{subnet="1"} 7\n'));
  assert(text.includes('tandem_h_seconds_bucket{le="0.001"} 0\n'));
  assert(text.includes('tandem_h_seconds_bucket{le="0.01"} 1\n'));
  assert(text.includes('tandem_h_seconds_bucket{le="+Inf"} 2\n'));
  equal(c.get({ type: "ACK" }), 3);
});
