/**
 * Registers the conformance suite with bun:test for one filesystem. The factory mounts it
 * (served by another process) and returns the mount directory and how to unmount; each test
 * runs in its own fresh subdirectory.
 *
 * @example
 * registerConformanceSuite("memory", () => startServer(["--memory"]));
 */
import { afterAll, beforeAll, describe, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { conformanceSuite } from "./suite.ts";

export interface MountedForTest {
  mountDir: string;
  stop(): Promise<void>;
}

const testTimeoutMs = 60_000;

export function registerConformanceSuite(name: string, mount: () => Promise<MountedForTest>): void {
  describe(`conformance: ${name}`, () => {
    let mounted: MountedForTest | undefined;
    beforeAll(async () => {
      mounted = await mount();
    }, 30_000);
    afterAll(async () => {
      await mounted?.stop();
    }, 30_000);
    let index = 0;
    for (const [testName, run] of Object.entries(conformanceSuite)) {
      const dirName = `t${index++}`;
      test(
        testName,
        async () => {
          if (mounted === undefined) throw new Error("the filesystem did not mount");
          const dir = join(mounted.mountDir, dirName);
          await mkdir(dir);
          await run(dir);
        },
        testTimeoutMs,
      );
    }
  });
}
