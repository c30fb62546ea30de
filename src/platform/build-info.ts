/**
 * What this qss was built from. `scripts/build.ts` bakes the commit, target and time into a
 * compiled binary with `--define`; a run from source asks git and says `source`.
 */
import packageJson from "../../package.json" with { type: "json" };

declare const QSS_BUILD_COMMIT: string | undefined;
declare const QSS_BUILD_TARGET: string | undefined;
declare const QSS_BUILD_TIME: string | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  target: string;
  builtAt: string;
  runtime: string;
}

export function buildInfo(): BuildInfo {
  const compiled = typeof QSS_BUILD_COMMIT === "string";
  return {
    version: packageJson.version,
    commit: compiled ? (QSS_BUILD_COMMIT as string) : sourceCommit(),
    target: typeof QSS_BUILD_TARGET === "string" ? QSS_BUILD_TARGET : "source",
    builtAt: typeof QSS_BUILD_TIME === "string" ? QSS_BUILD_TIME : "-",
    runtime: `bun ${Bun.version} ${process.platform}-${process.arch}`,
  };
}

export function formatBuildInfo(info: BuildInfo): string {
  return `qss ${info.version} (commit ${info.commit}, target ${info.target}, built ${info.builtAt}, ${info.runtime})`;
}

function sourceCommit(): string {
  try {
    const result = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], {
      cwd: import.meta.dir,
      stdout: "pipe",
      stderr: "ignore",
    });
    const commit = result.success ? result.stdout.toString().trim() : "";
    return commit === "" ? "unknown" : commit;
  } catch {
    // No git, or a binary compiled without the build defines (its directory is virtual).
    return "unknown";
  }
}
