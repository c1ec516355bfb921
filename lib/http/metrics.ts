/**
 * A small Prometheus registry: labelled counters, gauges read at scrape time, and histograms.
 * Pure: values come in through calls, text goes out through render() (exposition format
 * 0.0.4). Metric names follow Prometheus conventions (unit suffixes, _total for counters).
 */

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return "{" + keys.map((k) => `${k}="${escapeLabel(labels[k] ?? "")}"`).join(",") + "}";
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * labelKey() for the common case of one label, memoized per value: counters are bumped per
 * packet, and building the key (sort, escape, join) cost more than the rest of inc().
 */
class KeyCache {
  readonly #byName = new Map<string, Map<string, string>>();
  key(labels: Labels): string {
    let name: string | undefined;
    for (const k in labels) {
      if (name !== undefined) return labelKey(labels); // two or more labels: no cache
      name = k;
    }
    if (name === undefined) return "";
    const value = labels[name]!;
    let byValue = this.#byName.get(name);
    if (byValue === undefined) this.#byName.set(name, byValue = new Map());
    let key = byValue.get(value);
    if (key === undefined && byValue.size < 1024) byValue.set(value, key = labelKey(labels));
    return key ?? labelKey(labels);
  }
}

export class Counter {
  readonly #values = new Map<string, number>();
  readonly #keys = new KeyCache();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = this.#keys.key(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.#values) out += `${this.name}${k} ${v}\n`;
    return out;
  }
}

export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.#counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= (this.buckets[i] ?? Infinity)) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    }
  }
  get count(): number {
    return this.#count;
  }
  get sum(): number {
    return this.#sum;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    this.buckets.forEach((b, i) => {
      out += `${this.name}_bucket{le="${b}"} ${this.#counts[i] ?? 0}\n`;
    });
    out += `${this.name}_bucket{le="+Inf"} ${this.#count}\n`;
    out += `${this.name}_sum ${this.#sum}\n${this.name}_count ${this.#count}\n`;
    return out;
  }
}

/** A gauge whose samples are computed when scraped. */
export class GaugeFn {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => Iterable<readonly [Labels, number]>,
  ) {}
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const [labels, v] of this.read()) out += `${this.name}${labelKey(labels)} ${v}\n`;
    return out;
  }
}

export class Registry {
  readonly #metrics: { render(): string }[] = [];
  counter(name: string, help: string): Counter {
    const c = new Counter(name, help);
    this.#metrics.push(c);
    return c;
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const h = new Histogram(name, help, buckets);
    this.#metrics.push(h);
    return h;
  }
  gauge(name: string, help: string, read: () => Iterable<readonly [Labels, number]>): GaugeFn {
    const g = new GaugeFn(name, help, read);
    this.#metrics.push(g);
    return g;
  }
  render(): string {
    return this.#metrics.map((m) => m.render()).join("");
  }
}
