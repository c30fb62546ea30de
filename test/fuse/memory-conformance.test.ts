/** The conformance suite against the in-memory filesystem, served by `qss mount --memory`. */
import { registerConformanceSuite } from "../conformance/register.ts";
import { startServer } from "./server-process.ts";

registerConformanceSuite("memory", async () => {
  const server = await startServer(["--memory", "--allow-other"]);
  return { mountDir: server.mountDir, stop: server.stop };
});

registerConformanceSuite("memory, reader workers, writeback cache", async () => {
  const server = await startServer([
    "--memory",
    "--allow-other",
    "--read-mode",
    "workers",
    "--writeback-cache",
  ]);
  return { mountDir: server.mountDir, stop: server.stop };
});
