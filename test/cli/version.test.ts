import { expect, test } from "bun:test";
import packageJson from "../../package.json" with { type: "json" };
import { run, runQss } from "../helpers/run.ts";

const headCommit = run(["git", "rev-parse", "--short=12", "HEAD"]).stdout.trim();

test("qss --version prints the version, commit and target", () => {
  const result = runQss(["--version"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain(`qss ${packageJson.version} `);
  expect(result.stdout).toContain(`commit ${headCommit}`);
  expect(result.stdout).toContain("target source");
});

test("qss version --json gives machine-readable build info", () => {
  const result = runQss(["version", "--json"]);
  expect(result.exitCode).toBe(0);
  const info = JSON.parse(result.stdout);
  expect(info.version).toBe(packageJson.version);
  expect(info.commit).toBe(headCommit);
  expect(info.runtime).toMatch(/^bun \d+\.\d+\.\d+ linux-/);
});

test("qss --help lists the commands and an unknown command fails", () => {
  const help = runQss(["--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("version");
  const unknown = runQss(["no-such-command"]);
  expect(unknown.exitCode).not.toBe(0);
});

test("npx-style launcher runs the CLI through Node", () => {
  const result = run(["node", "scripts/qss.mjs", "--version"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain(`commit ${headCommit}`);
});
