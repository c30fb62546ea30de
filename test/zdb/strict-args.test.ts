import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import type { RunningDaemon } from "../../src/zdb/daemon.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

let dir: string;
let daemon: RunningDaemon;
let admin: Redis;

beforeAll(async () => {
  dir = tempDir("qss-zdb-args-");
  daemon = await startTestServer(dir);
  admin = new Redis({ port: daemon.port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  await admin.connect();
  await admin.call("AUTH", ["admin-test"]);
});

afterAll(async () => {
  admin.disconnect();
  await daemon.stop();
  removeDir(dir);
});

test("namespace names that are not UTF-8 are refused, never mangled (#13)", async () => {
  await expect(admin.callBuffer("NSNEW", [Buffer.from([0xff])])).rejects.toThrow(
    "This name is not allowed",
  );
  await expect(admin.callBuffer("NSNEW", [Buffer.from([0xfe])])).rejects.toThrow(
    "This name is not allowed",
  );
  const accented = Buffer.from("café", "utf8");
  expect(String(await admin.callBuffer("NSNEW", [accented]))).toBe("OK");
  const names = (await admin.callBuffer("NSLIST", [])) as Buffer[];
  expect(names.some((name) => name.equals(accented))).toBe(true);
  expect(names.some((name) => name.includes(Buffer.from([0xef, 0xbf, 0xbd])))).toBe(false);
  await expect(admin.callBuffer("SELECT", [Buffer.from([0xff])])).rejects.toThrow(
    "Namespace not found",
  );
});

test("NSSET maxsize takes digits only (#14)", async () => {
  await admin.call("NSNEW", ["limited"]);
  for (const bad of ["abc", "12x", "-5", "1e3", " 7", "99999999999999999999"]) {
    await expect(admin.call("NSSET", ["limited", "maxsize", bad])).rejects.toThrow("Invalid value");
  }
  expect(await admin.call("NSSET", ["limited", "maxsize", "4096"])).toBe("OK");
  const info = String(await admin.call("NSINFO", ["limited"]));
  expect(info).toContain("data_limits_bytes: 4096");
});

test("SELECT: 4 arguments without SECURE are refused; passwords still checked (#15)", async () => {
  await admin.call("NSNEW", ["guarded"]);
  await admin.call("NSSET", ["guarded", "password", "right"]);
  await admin.call("NSSET", ["guarded", "public", "0"]);
  await expect(admin.call("SELECT", ["guarded", "right", "extra"])).rejects.toThrow(
    "Invalid argument",
  );
  await expect(admin.call("SELECT", ["guarded", "wrong"])).rejects.toThrow("Access denied");
  await expect(admin.call("SELECT", ["guarded", "righ"])).rejects.toThrow("Access denied");
  expect(await admin.call("SELECT", ["guarded", "right"])).toBe("OK");
});

test("SET with a timestamp takes digits within u32 only (#14)", async () => {
  await admin.call("SELECT", ["default"]);
  for (const bad of ["abc", "12x", "-1", "4294967296", "1.5"]) {
    await expect(admin.call("SET", ["stamped", "v", bad])).rejects.toThrow("Invalid timestamp");
  }
  expect(await admin.call("EXISTS", ["stamped"])).toBe(0);
  expect(await admin.call("SET", ["stamped", "v", "1234567"])).toBe("stamped");
  expect(await admin.call("KEYTIME", ["stamped"])).toBe(1234567);
});
