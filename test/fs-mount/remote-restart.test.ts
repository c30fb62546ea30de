/**
 * A mount over --zdb when its 0-db server goes away and comes back: fsync fails while the
 * server is down (never a false success), the data written meanwhile stays in the mount, and
 * once the server is back the next fsync stores it; a fresh mount then finds everything.
 */
import { afterEach, expect, test } from "bun:test";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type QssMount, startQssMount } from "../../scripts/lib/qss-process.ts";
import { startZdbServer, type ZdbServer } from "./zdb-server.ts";

let work = "";
let zdb: ZdbServer | undefined;
let mount: QssMount | undefined;
afterEach(async () => {
  await mount?.stop().catch(() => undefined);
  await zdb?.stop().catch(() => undefined);
  if (work !== "") await rm(work, { recursive: true, force: true });
  mount = undefined;
  zdb = undefined;
  work = "";
});

/** fsync of a file of the mount: 0, or the errno code (EIO expected while the store is away). */
function fsyncFile(path: string): string {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
    return "ok";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  } finally {
    closeSync(fd);
  }
}

function writeFile(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "w");
  writeSync(fd, bytes);
  closeSync(fd);
}

test("fsync fails while the 0-db server is down and stores everything once it is back", async () => {
  work = await mkdtemp(join(tmpdir(), "qss-remote-restart-"));
  const mountpoint = join(work, "mnt");
  mkdirSync(mountpoint);
  zdb = await startZdbServer(join(work, "zdb"));
  const args = ["--state", join(work, "state"), "--zdb", zdb.url];
  const env = { QSS_ZDB_ADMIN: zdb.adminPassword };
  mount = await startQssMount(mountpoint, args, env);
  const before = new Uint8Array(300_000).map((_v, i) => i % 251);
  writeFile(join(mountpoint, "before"), before);
  expect(fsyncFile(join(mountpoint, "before"))).toBe("ok");

  const same = { port: zdb.port, adminPassword: zdb.adminPassword };
  await zdb.stop();
  const during = new Uint8Array(100_000).fill(7);
  writeFile(join(mountpoint, "during"), during);
  expect(fsyncFile(join(mountpoint, "during"))).toBe("EIO");
  expect(readFileSync(join(mountpoint, "during")).equals(Buffer.from(during))).toBe(true);

  zdb = await startZdbServer(join(work, "zdb"), [], same);
  let result = "";
  for (let attempt = 0; attempt < 40 && result !== "ok"; attempt++) {
    await Bun.sleep(100);
    result = fsyncFile(join(mountpoint, "during"));
  }
  expect(result).toBe("ok");
  await mount.stop();
  mount = await startQssMount(mountpoint, args, env);
  expect(readFileSync(join(mountpoint, "before")).equals(Buffer.from(before))).toBe(true);
  expect(readFileSync(join(mountpoint, "during")).equals(Buffer.from(during))).toBe(true);
}, 60_000);
