/**
 * `qss keygen`: create a hybrid post-quantum recipient key pair (ML-KEM-768 + X25519), print
 * the public key of an existing secret key file (`-y`), or a random master secret (`--master`).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { isQssError } from "../base/errors.ts";
import {
  formatRecipientKeyFile,
  formatRecipientPublicKey,
  generateRecipientKeyPair,
  parseRecipientSecretKeyFile,
  recipientPublicKeyOf,
} from "../stor/recipient-keys.ts";

function fail(message: string): never {
  console.error(`qss keygen: ${message}`);
  process.exit(1);
}

function writeSecretFile(path: string, text: string): void {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === "EEXIST" ? `${path} exists; not overwriting a key` : `cannot write ${path}: ${code}`,
    );
  }
}

export const keygenCommand = defineCommand({
  meta: {
    name: "keygen",
    description: "Create a post-quantum recipient key pair (or a master secret)",
  },
  args: {
    output: {
      type: "string",
      alias: "o",
      description: "Write the secret key here (mode 0600) instead of stdout",
    },
    public: {
      type: "string",
      alias: "y",
      description: "Print the public key of this secret key file",
    },
    master: {
      type: "boolean",
      description: "Print a random 32-byte master secret (64 hex, the config `key`)",
    },
  },
  run({ args }) {
    if (args.master) {
      const text = `${randomBytes(32).toString("hex")}\n`;
      if (args.output) writeSecretFile(args.output, text);
      else process.stdout.write(text);
      return;
    }
    if (args.public) {
      try {
        if ((statSync(args.public).mode & 0o077) !== 0) {
          console.error(
            `qss keygen: warning: ${args.public} is readable by group or others (chmod 600 it)`,
          );
        }
        const secret = parseRecipientSecretKeyFile(readFileSync(args.public, "utf8"));
        console.log(formatRecipientPublicKey(recipientPublicKeyOf(secret)));
      } catch (error) {
        fail(
          isQssError(error)
            ? error.message
            : `cannot read ${args.public}: ${(error as Error).message}`,
        );
      }
      return;
    }
    const pair = generateRecipientKeyPair();
    const text = formatRecipientKeyFile(pair, new Date());
    if (args.output) {
      writeSecretFile(args.output, text);
      console.error(`Public key: ${formatRecipientPublicKey(pair.publicKey)}`);
    } else {
      process.stdout.write(text);
    }
  },
});
