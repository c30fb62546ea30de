/** Real work inside a qss mount: unpack a source tree and compare it; use git in it. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type QssMount, startQssMount } from "../../scripts/lib/qss-process.ts";
import { run } from "../helpers/run.ts";

let work = "";
let mountpoint = "";
let mount: QssMount | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "qss-work-"));
  mountpoint = join(work, "mnt");
  await mkdir(mountpoint);
  await mkdir(join(work, "state"));
  mount = await startQssMount(mountpoint, ["--state", join(work, "state")]);
});

afterAll(async () => {
  await mount?.stop();
  await rm(work, { recursive: true, force: true });
});

function sh(script: string, cwd: string) {
  const result = run(["bash", "-euo", "pipefail", "-c", script], { cwd });
  if (result.exitCode !== 0) throw new Error(`${script}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

test("untar /usr/include into the mount and diff -r it", () => {
  const tarball = join(work, "include.tar");
  sh(`tar -cf ${tarball} -C /usr include`, work);
  sh(`tar -xf ${tarball} -C ${mountpoint}`, work);
  const diff = run(["diff", "-r", "/usr/include", join(mountpoint, "include")]);
  expect(diff.stdout).toBe("");
  expect(diff.exitCode).toBe(0);
}, 300_000);

test("O_DIRECT writes (answered before they reach the engine's file) read back at once", () => {
  const source = join(work, "direct.bin");
  const target = join(mountpoint, "direct.bin");
  sh(`head -c ${16 << 20} /dev/urandom > ${source}`, work);
  // Each 2 MiB piece is written with O_DIRECT, then read back with O_DIRECT (from qss, not
  // from the kernel's page cache) and compared before the next piece is written: the request
  // buffers of writes answered early must stay untouched until the engine wrote them.
  for (let piece = 0; piece < 8; piece++) {
    const range = `bs=1M count=2 skip=${piece * 2} seek=${piece * 2}`;
    sh(`dd if=${source} of=${target} ${range} oflag=direct conv=notrunc status=none`, work);
    sh(
      `cmp <(dd if=${source} bs=1M count=2 skip=${piece * 2} status=none) <(dd if=${target} bs=1M count=2 skip=${piece * 2} iflag=direct status=none)`,
      work,
    );
  }
  // Overwrite the middle, then compare the whole file.
  sh(`head -c ${4 << 20} /dev/urandom > ${source}.mid`, work);
  sh(`dd if=${source}.mid of=${source} bs=1M seek=6 conv=notrunc status=none`, work);
  sh(`dd if=${source}.mid of=${target} bs=1M seek=6 oflag=direct conv=notrunc status=none`, work);
  sh(`cmp ${source} <(dd if=${target} bs=1M iflag=direct status=none)`, work);
  expect(run(["cmp", source, target]).exitCode).toBe(0);
}, 120_000);

test("git init, commit, branch and checkout inside the mount", () => {
  const repo = join(mountpoint, "repo");
  sh(`mkdir ${repo}`, work);
  const git = "git -c user.name=qss -c user.email=qss@localhost -c init.defaultBranch=main";
  sh(
    `${git} init -q . && seq 1 5000 > numbers && ${git} add numbers && ${git} commit -qm one`,
    repo,
  );
  sh(
    `${git} checkout -qb side && seq 1 10 > numbers && echo extra > extra && ${git} add -A && ${git} commit -qm two`,
    repo,
  );
  sh(`${git} checkout -q main`, repo);
  expect(sh("wc -l < numbers", repo).trim()).toBe("5000");
  expect(run(["test", "-e", join(repo, "extra")]).exitCode).not.toBe(0);
  sh(`${git} checkout -q side`, repo);
  expect(sh("cat extra", repo).trim()).toBe("extra");
  expect(
    sh(`${git} fsck --full 2>&1; ${git} log --oneline | wc -l`, repo).trim().split("\n").pop(),
  ).toBe("2");
}, 120_000);
