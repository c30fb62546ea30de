/**
 * Async mutexes: `Mutex` serialises callers of one section; `KeyedMutex` one per key (an inode),
 * created on demand and dropped when idle, so unrelated inodes proceed in parallel.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #holders = 0;

  /** Whether someone holds or waits for the mutex. */
  get busy(): boolean {
    return this.#holders > 0;
  }

  async run<T>(section: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release = (): void => {};
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#holders++;
    await previous;
    try {
      return await section();
    } finally {
      this.#holders--;
      release();
    }
  }
}

export class KeyedMutex {
  readonly #tails = new Map<number, Promise<void>>();

  /** Whether someone holds or waits for the lock of `key`. */
  isBusy(key: number): boolean {
    return this.#tails.has(key);
  }

  /** Run `section` holding the locks of all `keys` (taken in the order given, deduplicated). */
  async run<T>(keys: number[], section: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const releases: (() => void)[] = [];
    try {
      for (const key of unique) releases.push(await this.#acquire(key));
      return await section();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  async #acquire(key: number): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release = (): void => {};
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tails.set(key, tail);
    await previous;
    return () => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
      release();
    };
  }
}
