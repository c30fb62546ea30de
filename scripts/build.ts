/**
 * `npm run build`: compile qss into one self-contained binary per target with
 * `bun build --compile`, then write `SHA256SUMS` beside them.
 *
 *   npx bun scripts/build.ts [--targets linux-x64,linux-arm64] [--outdir dist]
 *
 * Every `src/**\/*.worker.ts` is embedded as an extra entry point (see src/platform/workers.ts),
 * so a binary copied alone into an empty directory still starts its Workers.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

/** Our names → Bun's compile targets. x64 uses Bun's "baseline" build: no AVX2 needed, so the
 *  binary runs on any x86-64 server a ZOS node may boot on. */
export const targets = {
  "linux-x64": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl-baseline",
  "linux-arm64-musl": "bun-linux-arm64-musl",
} as const;
export type TargetName = keyof typeof targets;

export const repoRoot = resolve(import.meta.dir, "..");

export interface BuildOptions {
  targetNames: TargetName[];
  outdir: string;
}

export interface Artifact {
  target: TargetName;
  file: string;
  sizeBytes: number;
  sha256: string;
}

export async function build(options: BuildOptions): Promise<Artifact[]> {
  const outdir = resolve(options.outdir);
  await mkdir(outdir, { recursive: true });
  const entries = ["src/cli/main.ts", ...(await workerEntries())];
  const commit = gitCommit();
  const builtAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const artifacts: Artifact[] = [];
  for (const target of options.targetNames) {
    const file = join(outdir, `qss-${target}`);
    await rm(file, { force: true });
    const defines = { QSS_BUILD_COMMIT: commit, QSS_BUILD_TARGET: target, QSS_BUILD_TIME: builtAt };
    const command = [
      process.execPath,
      "build",
      "--compile",
      `--target=${targets[target]}`,
      "--root=src",
      "--minify-syntax",
      "--minify-whitespace",
      ...Object.entries(defines).map(
        ([name, value]) => `--define=${name}=${JSON.stringify(value)}`,
      ),
      ...entries,
      `--outfile=${file}`,
    ];
    const result = Bun.spawnSync(command, { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
    if (!result.success) {
      throw new Error(
        `Cannot build ${target}: ${result.stderr.toString() || result.stdout.toString()}`,
      );
    }
    const bytes = await readFile(file);
    artifacts.push({
      target,
      file,
      sizeBytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  await writeChecksums(outdir, artifacts);
  return artifacts;
}

/** Merges with an existing SHA256SUMS so building one target keeps the others' lines. */
async function writeChecksums(outdir: string, artifacts: Artifact[]): Promise<void> {
  const path = join(outdir, "SHA256SUMS");
  const lines = new Map<string, string>();
  const existing = await readFile(path, "utf8").catch(() => "");
  for (const line of existing.split("\n")) {
    const name = line.split(/\s+/)[1];
    if (name !== undefined) lines.set(name, line);
  }
  for (const artifact of artifacts) {
    const name = basename(artifact.file);
    lines.set(name, `${artifact.sha256}  ${name}`);
  }
  const sorted = [...lines.keys()].sort().map((name) => lines.get(name));
  await writeFile(path, `${sorted.join("\n")}\n`);
}

async function workerEntries(): Promise<string[]> {
  const glob = new Bun.Glob("src/**/*.worker.ts");
  const found: string[] = [];
  for await (const path of glob.scan({ cwd: repoRoot })) found.push(path);
  return found.sort();
}

export function gitCommit(): string {
  const result = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot });
  if (!result.success) return "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], {
    cwd: repoRoot,
  });
  const suffix = dirty.success && dirty.stdout.toString().trim() !== "" ? "-dirty" : "";
  return result.stdout.toString().trim() + suffix;
}

export function parseTargets(list: string | undefined): TargetName[] {
  if (list === undefined || list === "all") return Object.keys(targets) as TargetName[];
  return list.split(",").map((name) => {
    if (!(name in targets)) {
      throw new RangeError(
        `Unknown target ${name}: expected one of ${Object.keys(targets).join(", ")}`,
      );
    }
    return name as TargetName;
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { targets: { type: "string" }, outdir: { type: "string", default: "dist" } },
  });
  const artifacts = await build({
    targetNames: parseTargets(values.targets),
    outdir: values.outdir,
  });
  for (const artifact of artifacts) {
    const sizeMiB = (artifact.sizeBytes / 2 ** 20).toFixed(1);
    console.log(
      `${relative(process.cwd(), artifact.file)}  ${sizeMiB} MiB  sha256 ${artifact.sha256}`,
    );
  }
}
