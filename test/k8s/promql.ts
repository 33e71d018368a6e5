// Extracts metric names from PromQL expressions, enough for dashboard queries: selectors, functions,
// aggregations with by/without, binary operators, ranges and Grafana variables.
const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
const histogramSuffixes = /_(bucket|sum|count)$/;

/** Metric names used in `expr`, with histogram _bucket/_sum/_count suffixes removed. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\w+|\$\{[^}]*\}/g, ' '); // Grafana variables
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const next = stripped.slice((match.index) + name.length).trimStart();
    if (next.startsWith('(') || keywords.has(name.toLowerCase())) continue; // function or aggregation
    names.add(name.replace(histogramSuffixes, ''));
  }
  return [...names];
}
