/** Run a command to completion and collect its output; for tests of the CLI and binaries. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const repoRoot = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

export function run(
  command: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): RunResult {
  const result = Bun.spawnSync(command, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout.toString(),
    stderr: result.stderr.toString(),
  };
}

/** `qss …` from source, on the same Bun that runs the tests. */
export function runQss(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): RunResult {
  return run([process.execPath, `${repoRoot}/src/cli/main.ts`, ...args], options);
}
