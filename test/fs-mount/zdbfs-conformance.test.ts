/**
 * The conformance suite against the 0-db filesystem: on the embedded engine (the default of
 * `qss mount`, with and without the kernel write-back cache), and on a separate `qss zdb`
 * server reached with `--zdb`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { registerConformanceSuite } from "../conformance/register.ts";
import { makeMountDir, startServer } from "../fuse/server-process.ts";
import { startZdbServer } from "./zdb-server.ts";

registerConformanceSuite("0-db filesystem, embedded engine", async () => {
  const dirs = makeMountDir();
  const stateDir = join(dirs.root, "state");
  mkdirSync(stateDir);
  const server = await startServer(["--state", stateDir, "--allow-other"], dirs);
  return { mountDir: server.mountDir, stop: server.stop };
});

// The kernel write-back cache is on by default for the 0-db filesystem; write-through too.
registerConformanceSuite("0-db filesystem, embedded engine, write-through", async () => {
  const dirs = makeMountDir();
  const stateDir = join(dirs.root, "state");
  mkdirSync(stateDir);
  const args = ["--state", stateDir, "--allow-other", "--no-writeback-cache"];
  const server = await startServer(args, dirs);
  return { mountDir: server.mountDir, stop: server.stop };
});

registerConformanceSuite("0-db filesystem, remote qss zdb", async () => {
  const dirs = makeMountDir();
  const zdb = await startZdbServer(join(dirs.root, "zdb"));
  process.env.QSS_ZDB_ADMIN = zdb.adminPassword;
  try {
    const server = await startServer(["--zdb", zdb.url, "--allow-other"], dirs);
    return {
      mountDir: server.mountDir,
      stop: async () => {
        await server.stop();
        await zdb.stop();
      },
    };
  } catch (error) {
    await zdb.stop();
    throw error;
  } finally {
    delete process.env.QSS_ZDB_ADMIN;
  }
});
