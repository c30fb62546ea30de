/**
 * `npm run release`: what CI would publish. Builds every target into `dist/`, then writes
 * `dist/manifest.json` (version, commit, and per binary: target, machine, libc interpreter,
 * size, sha256) next to the binaries and `SHA256SUMS`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { build, gitCommit, parseTargets } from "./build.ts";
import { readElfFacts } from "./elf.ts";

export async function release(outdir: string): Promise<string> {
  const artifacts = await build({ targetNames: parseTargets("all"), outdir });
  const binaries = [];
  for (const artifact of artifacts) {
    const facts = readElfFacts(await readFile(artifact.file));
    binaries.push({
      file: basename(artifact.file),
      target: artifact.target,
      machine: facts.machine,
      interpreter: facts.interpreter,
      sizeBytes: artifact.sizeBytes,
      sha256: artifact.sha256,
    });
  }
  const manifest = {
    name: "qss",
    version: packageJson.version,
    commit: gitCommit(),
    createdAt: new Date().toISOString(),
    binaries,
    checksums: "SHA256SUMS",
  };
  const path = join(resolve(outdir), "manifest.json");
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

if (import.meta.main) {
  const path = await release(process.argv[2] ?? "dist");
  console.log(await readFile(path, "utf8"));
}
