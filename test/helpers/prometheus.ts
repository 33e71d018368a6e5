// A strict reader of the Prometheus text exposition format, enough to assert on what /metrics serves.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses every line; throws on the first one that is neither a comment nor a valid sample. */
export function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = sampleLine.exec(line);
      if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
      const [, name = '', labelText = '', value = ''] = match;
      const labels = Object.fromEntries([...labelText.matchAll(labelPair)].map(([, key = '', raw = '']) => [key, raw]));
      return { name, labels, value: Number(value) };
    });
}

/** Metric family names declared with # TYPE. */
export function declaredMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map(([, name = '']) => name));
}

export interface HistogramSeries {
  readonly count: number;
  readonly sum: number;
  /** Cumulative count by upper bound (the `le` label). */
  readonly buckets: ReadonlyMap<string, number>;
}

/** One series of a histogram, picked by its labels; zeros when it does not exist yet. */
export function histogram(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>>): HistogramSeries {
  const matches = (sample: Sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  const value = (suffix: string) => samples.find((sample) => sample.name === name + suffix && matches(sample))?.value ?? 0;
  const buckets = new Map(samples.filter((sample) => sample.name === `${name}_bucket` && matches(sample)).map((sample) => [sample.labels.le ?? '', sample.value]));
  return { count: value('_count'), sum: value('_sum'), buckets };
}
