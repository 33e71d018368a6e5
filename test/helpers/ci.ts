// Whether this is CI: a CI variable as CI services set it (true, 1, yes); unset, empty, 0 or false is not.
// Apart from tools.ts, which needs ava, so that plain node scripts (benchmarks, the test runner) can read it.
export const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());
