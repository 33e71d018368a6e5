// The password hasher on its own: the bound on waiting hashes, and what counts as the same password.
import test from 'ava';
import { PasswordHasher } from '../src/auth/passwords.ts';
import { AppError } from '../src/errors.ts';

test('concurrency plus queueLimit hashes are taken at once; every one beyond gets 503 with Retry-After', async (t) => {
  const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 2 });
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, index) => hasher.hash(`password number ${String(index)}`)));
  t.is(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 3);
  for (const outcome of outcomes.filter((item) => item.status === 'rejected')) {
    t.true(outcome.reason instanceof AppError);
    t.like(outcome.reason, { status: 503, headers: { 'Retry-After': '1' } });
  }
  // The slots are given back: a later hash is taken.
  t.regex(await hasher.hash('one more password'), /^scrypt\$/);
});

test('passwords are compared as NFKC: the same text typed another way matches, other text does not', async (t) => {
  const hasher = new PasswordHasher({ concurrency: 2, queueLimit: 4 });
  const fullWidth = await hasher.hash('Ｐａｓｓｗｏｒｄ１２３４');
  t.true(await hasher.verify('Password1234', fullWidth));
  const precomposed = await hasher.hash('caf\u00e9 au lait!');
  t.true(await hasher.verify('cafe\u0301 au lait!', precomposed));
  t.false(await hasher.verify('cafe au lait!', precomposed));
  t.false(await hasher.verify('Password1234', undefined), 'no account: false, after the same work');
});
