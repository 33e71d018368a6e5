// Password hashing: scrypt from node:crypto (no native build), a bounded number at a time.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { AppError } from '../errors.ts';

/**
 * OWASP's Password Storage Cheat Sheet lists equally strong scrypt settings that trade memory for passes:
 * N=2^17/r=8/p=1 (128 MiB), N=2^16/p=2 (64 MiB), N=2^15/p=3 (32 MiB), N=2^14/p=5, N=2^13/p=10. We take
 * N=2^15, r=8, p=3: OpenSSL runs the p passes one after another over the same 32 MiB (128·N·r bytes), so
 * each hash holds 32 MiB of the pod's memory instead of 128 MiB, for the same work (about 0.1-0.3 s on
 * one core here). The parameters are stored with every hash, so they can be raised later.
 */
const current = { logN: 15, r: 8, p: 3 } as const;
const saltBytes = 16;
const keyBytes = 32;
/** Node refuses scrypt above maxmem (default 32 MiB, exactly our 128·N·r); leave room for OpenSSL's extras. */
const maxmem = 64 * 1024 * 1024;

interface Parameters {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** scrypt$ln=15,r=8,p=3$<salt>$<key>, base64url: self-describing, like PHC strings. */
const hashFormat = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export interface HasherOptions {
  /** Hashes in flight at once; the rest wait their turn, holding no scrypt memory. */
  readonly concurrency: number;
  /**
   * Hashes that may wait for a slot. Every sign-up, login and password change costs one (an unknown nick
   * too), so without a bound a burst of cheap requests would queue for minutes holding connections.
   */
  readonly queueLimit: number;
}

export class PasswordHasher {
  readonly #limit: LimitFunction;
  /** Requests' hashes running or waiting; counted here because p-limit counts a call as active only a tick later. */
  #inFlight = 0;
  readonly #capacity: number;
  /** Verified when the nick is unknown, so that answer takes as long as a wrong password. */
  readonly #dummy: Promise<string>;

  constructor(options: HasherOptions) {
    this.#limit = pLimit(options.concurrency);
    this.#capacity = options.concurrency + options.queueLimit;
    // Not admitted like a request's hash: a request arriving meanwhile waits for it instead of a 503.
    this.#dummy = this.#hashAnyway(randomBytes(16).toString('base64url'));
    // A failure surfaces on first use; the constructor must not leave a rejection unhandled.
    this.#dummy.catch(() => undefined);
  }

  hash(password: string): Promise<string> {
    return this.#admitted(() => this.#hashAnyway(password));
  }

  async #hashAnyway(password: string): Promise<string> {
    const salt = randomBytes(saltBytes);
    const key = await this.#derive(password, salt, current);
    return `scrypt$ln=${String(current.logN)},r=${String(current.r)},p=${String(current.p)}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** `stored` undefined: no such account; the same work is done against a dummy hash, and the answer is false. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const match = hashFormat.exec(stored ?? (await this.#dummy));
    if (match === null) throw new Error('stored password hash has an unknown format');
    const [, logN = '', r = '', p = '', salt = '', key = ''] = match;
    const expected = Buffer.from(key, 'base64url');
    const actual = await this.#admitted(() => this.#derive(password, Buffer.from(salt, 'base64url'), { logN: Number(logN), r: Number(r), p: Number(p) }, expected.length));
    return timingSafeEqual(actual, expected) && stored !== undefined;
  }

  /** Runs `work` (one hash), or answers 503 when the queue is full: a client may retry, and the pod stays responsive. */
  async #admitted<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#capacity) {
      throw new AppError(503, { detail: 'Too many password checks are waiting; retry shortly.', headers: { 'Retry-After': '1' } });
    }
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
    }
  }

  #derive(password: string, salt: Buffer, parameters: Parameters, length = keyBytes): Promise<Buffer> {
    const options: ScryptOptions = { N: 2 ** parameters.logN, r: parameters.r, p: parameters.p, maxmem };
    return this.#limit(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          scrypt(password.normalize('NFKC'), salt, length, options, (error, key) => {
            if (error === null) resolve(key);
            else reject(error);
          });
        }),
    );
  }
}
