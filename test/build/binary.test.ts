/**
 * The release binaries: built for every target, the x64 one run from an empty directory, the
 * arm64 one under qemu-aarch64, the musl ones checked as ELF files of the right machine.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Artifact, build, parseTargets } from "../../scripts/build.ts";
import { readElfFacts } from "../../scripts/elf.ts";
import { isMounted, lazyUnmount } from "../../scripts/lib/qss-process.ts";
import { run } from "../helpers/run.ts";

let outdir = "";
let emptyDir = "";
const artifacts = new Map<string, Artifact>();

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "qss-build-"));
  emptyDir = await mkdtemp(join(tmpdir(), "qss-empty-"));
  for (const artifact of await build({ targetNames: parseTargets("all"), outdir })) {
    artifacts.set(artifact.target, artifact);
  }
}, 600_000);

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
});

function artifact(target: string): Artifact {
  const found = artifacts.get(target);
  if (found === undefined) throw new Error(`no artifact for ${target}`);
  return found;
}

test("the x64 binary runs alone from an empty directory", async () => {
  const alone = join(emptyDir, "qss");
  await copyFile(artifact("linux-x64").file, alone);
  const result = run([alone, "--version"], { cwd: emptyDir });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("target linux-x64");
  expect(result.stdout).not.toContain("commit unknown");
});

test("the x64 binary mounts, serves and unmounts from an empty directory (embedded workers)", async () => {
  const alone = join(emptyDir, "qss-mount");
  await copyFile(artifact("linux-x64").file, alone);
  const mountpoint = join(emptyDir, "mnt");
  await mkdir(mountpoint);
  const server = Bun.spawn([alone, "mount", "--state", join(emptyDir, "state"), mountpoint], {
    cwd: emptyDir,
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const deadline = Date.now() + 20_000;
    while (!isMounted(mountpoint) && Date.now() < deadline && server.exitCode === null)
      await Bun.sleep(25);
    expect(isMounted(mountpoint)).toBe(true);
    await writeFile(join(mountpoint, "hello"), "from the compiled binary");
    expect(await readFile(join(mountpoint, "hello"), "utf8")).toBe("from the compiled binary");
    const umount = run([alone, "umount", mountpoint], { cwd: emptyDir });
    expect(umount.exitCode).toBe(0);
    expect(await server.exited).toBe(0);
    expect(isMounted(mountpoint)).toBe(false);
  } finally {
    if (isMounted(mountpoint)) lazyUnmount(mountpoint);
    server.kill("SIGKILL");
  }
}, 60_000);

test("the x64 binary runs the offloader self-test (embedded stor workers)", () => {
  const result = run([artifact("linux-x64").file, "selftest", "--size", "4M", "--json"], {
    cwd: emptyDir,
  });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  expect(JSON.parse(result.stdout).lostShards).toEqual([0, 1]);
});

test("the arm64 binary runs the offloader self-test under qemu-aarch64 (SIMD kernel on arm64)", () => {
  const qemu = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"];
  const result = run([...qemu, artifact("linux-arm64").file, "selftest", "--size", "1M", "--json"]);
  expect(result.exitCode).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.lostShards).toEqual([0, 1]);
  expect(report.kernel).toMatch(/^wasm-/);
}, 120_000);

test("the arm64 glibc binary runs under qemu-aarch64", () => {
  const result = run([
    "qemu-aarch64",
    "-L",
    "/usr/aarch64-linux-gnu",
    artifact("linux-arm64").file,
    "--version",
  ]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("target linux-arm64");
  expect(result.stdout).toContain("linux-arm64)");
});

test("every binary is an ELF file for its machine and libc", async () => {
  const expected: Record<string, [string, string]> = {
    "linux-x64": ["x86-64", "/lib64/ld-linux-x86-64.so.2"],
    "linux-arm64": ["aarch64", "/lib/ld-linux-aarch64.so.1"],
    "linux-x64-musl": ["x86-64", "/lib/ld-musl-x86_64.so.1"],
    "linux-arm64-musl": ["aarch64", "/lib/ld-musl-aarch64.so.1"],
  };
  for (const [target, [machine, interpreter]] of Object.entries(expected)) {
    const facts = readElfFacts(await readFile(artifact(target).file));
    expect({ target, ...facts }).toEqual({ target, machine, interpreter } as never);
  }
});

test("SHA256SUMS matches the binaries", async () => {
  const sums = await readFile(join(outdir, "SHA256SUMS"), "utf8");
  const lines = sums.trim().split("\n");
  expect(lines.length).toBe(4);
  for (const line of lines) {
    const [sha, name] = line.split(/\s+/);
    const bytes = await readFile(join(outdir, name ?? ""));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha ?? "");
  }
});

test("readElfFacts rejects what is not a 64-bit ELF file", () => {
  expect(() =>
    readElfFacts(new TextEncoder().encode("#!/bin/sh\necho not elf\n".repeat(4))),
  ).toThrow(/not a 64-bit little-endian ELF/);
});
