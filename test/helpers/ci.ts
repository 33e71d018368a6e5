// Whether this is CI: any non-empty CI variable, as CI services set it (true, 1, yes). Apart from
// tools.ts, which needs ava, so that benchmarks (plain node scripts) can use the helpers that read it.
export const inCI = (process.env.CI ?? '') !== '';
