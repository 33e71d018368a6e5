// A costly read shared by everyone who asks within a few seconds: at most one load runs at a time, its
// result serves every caller until it is older than `freshForMs`, and a failed load is not retried
// sooner either, so callers cannot pile loads onto a struggling database. Meanwhile the last good
// result, if there is one, stands in.

export class SharedResult<T> {
  readonly #load: () => Promise<T>;
  readonly #freshForMs: number;
  readonly #now: () => number;
  #latest: { readonly value: T; readonly loadedAt: number } | undefined;
  #failure: { readonly error: unknown; readonly failedAt: number } | undefined;
  #loading: Promise<T> | undefined;

  constructor(load: () => Promise<T>, freshForMs: number, now: () => number = Date.now) {
    this.#load = load;
    this.#freshForMs = freshForMs;
    this.#now = now;
  }

  async get(): Promise<T> {
    const now = this.#now();
    if (this.#latest !== undefined && now - this.#latest.loadedAt < this.#freshForMs) return this.#latest.value;
    if (this.#loading !== undefined) return this.#loading;
    if (this.#failure !== undefined && now - this.#failure.failedAt < this.#freshForMs) return this.#lastGoodOr(this.#failure.error);
    this.#loading = this.#refresh().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #refresh(): Promise<T> {
    try {
      const value = await this.#load();
      // Dated from the end, so a load slower than freshForMs is not followed by another at once.
      this.#latest = { value, loadedAt: this.#now() };
      this.#failure = undefined;
      return value;
    } catch (error) {
      this.#failure = { error, failedAt: this.#now() };
      return this.#lastGoodOr(error);
    }
  }

  #lastGoodOr(error: unknown): T {
    if (this.#latest === undefined) throw error;
    return this.#latest.value;
  }
}
