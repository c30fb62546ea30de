/** A `qss zdb` server in a child process on a free loopback port, for tests that need one. */
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../helpers/run.ts";

export interface ZdbServer {
  url: string;
  port: number;
  adminPassword: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** `same`: the port and admin password of a server being started again on its directory. */
export async function startZdbServer(
  directory: string,
  extraArgs: string[] = [],
  same?: { port: number; adminPassword: string },
): Promise<ZdbServer> {
  mkdirSync(directory, { recursive: true });
  const port = same?.port ?? (await freePort());
  const adminPassword = same?.adminPassword ?? `admin-${crypto.randomUUID()}`;
  const child = Bun.spawn(
    [
      process.execPath,
      `${repoRoot}/src/cli/main.ts`,
      "zdb",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--data",
      join(directory, "data"),
      "--index",
      join(directory, "index"),
      "--admin",
      adminPassword,
      ...extraArgs,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`qss zdb did not start: ${await new Response(child.stderr).text()}`);
    }
    await Bun.sleep(25);
  }
  return {
    url: `tcp://127.0.0.1:${port}`,
    port,
    adminPassword,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}
