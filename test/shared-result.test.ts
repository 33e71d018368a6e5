// SharedResult on its own, with a clock the test moves: one load at a time, fresh results reused,
// failures neither retried early nor hiding the last good result.
import test from 'ava';
import { SharedResult } from '../src/players/shared-result.ts';

function setup(outcomes: (number | Error)[]) {
  let now = 0;
  let loads = 0;
  const shared = new SharedResult(async () => {
    const outcome = outcomes[loads++];
    await Promise.resolve();
    if (outcome instanceof Error || outcome === undefined) throw outcome ?? new Error('no more outcomes');
    return outcome;
  }, 5000, () => now);
  return { shared, loads: () => loads, advance: (ms: number) => { now += ms; } };
}

test('concurrent callers share one load; the result is reused while fresh, then loaded again', async (t) => {
  const { shared, loads, advance } = setup([1, 2]);
  t.deepEqual(await Promise.all([shared.get(), shared.get(), shared.get()]), [1, 1, 1]);
  advance(4999);
  t.is(await shared.get(), 1);
  t.is(loads(), 1);
  advance(1);
  t.is(await shared.get(), 2);
  t.is(loads(), 2);
});

test('a failed load with nothing to fall back on fails its callers, and is not retried while fresh', async (t) => {
  const { shared, loads, advance } = setup([new Error('too slow'), 7]);
  await t.throwsAsync(shared.get(), { message: 'too slow' });
  await t.throwsAsync(shared.get(), { message: 'too slow' });
  t.is(loads(), 1);
  advance(5000);
  t.is(await shared.get(), 7);
});

test('after a failed reload, the last good result stands in', async (t) => {
  const { shared, loads, advance } = setup([3, new Error('too slow'), 4]);
  t.is(await shared.get(), 3);
  advance(5000);
  t.is(await shared.get(), 3);
  t.is(await shared.get(), 3);
  t.is(loads(), 2);
  advance(5000);
  t.is(await shared.get(), 4);
});
