import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatRecipientPublicKey,
  parseRecipientPublicKey,
  parseRecipientSecretKeyFile,
  recipientPublicKeyOf,
} from "../../src/stor/recipient-keys.ts";

const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "qss-keygen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qss(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 30_000 });
}

test("keygen -o writes a 0600 secret key file and prints the matching public key", () => {
  const path = join(dir, "recipient.key");
  const run = qss("keygen", "-o", path);
  expect(run.status).toBe(0);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const secret = parseRecipientSecretKeyFile(readFileSync(path, "utf8"));
  const printed = /Public key: (\S+)/.exec(run.stderr)?.[1] as string;
  expect(parseRecipientPublicKey(printed)).toEqual(recipientPublicKeyOf(secret));
  expect(readFileSync(path, "utf8")).toContain(`# public key: ${printed}`);
  const again = qss("keygen", "-o", path);
  expect(again.status).toBe(1);
  expect(again.stderr).toContain("not overwriting");
});

test("keygen -y prints the public key of a secret key file; garbage is a clear error", () => {
  const path = join(dir, "y.key");
  expect(qss("keygen", "-o", path).status).toBe(0);
  const secret = parseRecipientSecretKeyFile(readFileSync(path, "utf8"));
  const run = qss("keygen", "-y", path);
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe(formatRecipientPublicKey(recipientPublicKeyOf(secret)));
  chmodSync(path, 0o644);
  const loose = qss("keygen", "-y", path);
  expect(loose.status).toBe(0);
  expect(loose.stderr).toContain("readable by group or others");
  const bad = qss("keygen", "-y", main);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("Cannot parse the recipient secret key file");
});

test("keygen --master prints a fresh 64-hex master secret", () => {
  const a = qss("keygen", "--master").stdout.trim();
  const b = qss("keygen", "--master").stdout.trim();
  expect(a).toMatch(/^[0-9a-f]{64}$/);
  expect(a).not.toBe(b);
});
