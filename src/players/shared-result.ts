// A costly read shared by everyone who asks within a few seconds: at most one load runs at a time, and
// its result serves every caller until it is older than `freshForMs`. A failed load is not kept.

export class SharedResult<T> {
  readonly #load: () => Promise<T>;
  readonly #freshForMs: number;
  readonly #now: () => number;
  #latest: { readonly value: T; readonly loadedAt: number } | undefined;
  #loading: Promise<T> | undefined;

  constructor(load: () => Promise<T>, freshForMs: number, now: () => number = Date.now) {
    this.#load = load;
    this.#freshForMs = freshForMs;
    this.#now = now;
  }

  get(): Promise<T> {
    if (this.#latest !== undefined && this.#now() - this.#latest.loadedAt < this.#freshForMs) return Promise.resolve(this.#latest.value);
    this.#loading ??= this.#refresh().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #refresh(): Promise<T> {
    // Dated from the start: writes that land during the load may be missing from it.
    const startedAt = this.#now();
    const value = await this.#load();
    this.#latest = { value, loadedAt: startedAt };
    return value;
  }
}
