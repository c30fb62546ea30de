/**
 * Start a Worker from a file under `src/`, both from source and inside the compiled binary.
 *
 * `bun build --compile` bundles the main program into one module, so `import.meta.url` no longer
 * points next to the worker file; embedded workers are found by their path below the build root
 * (`src/`). `scripts/build.ts` embeds every `src/**\/*.worker.ts` as an extra entry point, so a
 * worker file must be named `<name>.worker.ts` to exist in the binary.
 *
 * @example
 * const worker = startWorker("stor/codec.worker.ts");
 */
const compiled = import.meta.url.includes("$bunfs");

export function workerSpecifier(pathBelowSrc: string): string {
  if (!pathBelowSrc.endsWith(".worker.ts") || pathBelowSrc.startsWith("/")) {
    throw new TypeError(
      `Cannot start worker ${pathBelowSrc}: expected a path like "stor/x.worker.ts"`,
    );
  }
  return compiled ? `./${pathBelowSrc}` : new URL(`../${pathBelowSrc}`, import.meta.url).href;
}

export function startWorker(pathBelowSrc: string, options?: WorkerOptions): Worker {
  return new Worker(workerSpecifier(pathBelowSrc), options);
}
