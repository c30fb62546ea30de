/**
 * `qss selftest`: run the offloader pipeline (checksum, compression, encryption, Reed-Solomon,
 * worker pool) on random data, lose shards, rebuild, compare; print the kernel and speeds.
 */
import { defineCommand } from "citty";
import { isQssError, qssError } from "../base/errors.ts";
import { runSelftest } from "../stor/selftest.ts";
import { parseInteger, parseSizeBytes } from "./parse.ts";

export const selftestCommand = defineCommand({
  meta: {
    name: "selftest",
    description: "Check the codec, crypto and worker pool on this machine",
  },
  args: {
    size: { type: "string", description: "Bytes of random data", default: "64M" },
    shards: { type: "string", description: "Data+parity shards, e.g. 4+2", default: "4+2" },
    workers: { type: "string", description: "Stripe workers (default: one per core)" },
    json: { type: "boolean", description: "Print the result as JSON", default: false },
  },
  async run({ args }) {
    try {
      const shape = /^(\d+)\+(\d+)$/.exec(args.shards);
      if (shape === null) {
        throw qssError("USAGE", `--shards: expected data+parity like 4+2, got "${args.shards}"`);
      }
      const dataShards = parseInteger(shape[1] ?? "", "--shards (data)", 1, 255);
      const parityShards = parseInteger(shape[2] ?? "", "--shards (parity)", 0, 256 - dataShards);
      const result = await runSelftest({
        sizeBytes: parseSizeBytes(args.size, "--size"),
        dataShards,
        parityShards,
        ...(args.workers === undefined
          ? {}
          : { workers: parseInteger(args.workers, "--workers", 1, 64) }),
      });
      if (args.json) {
        console.log(JSON.stringify(result));
      } else {
        const lost = result.lostShards.length === 0 ? "none" : result.lostShards.join(",");
        console.log(
          `qss selftest: ok: ${result.sizeBytes} bytes, ${result.shards} shards, kernel ${result.kernel}, ` +
            `encode ${result.encodeMBps.toFixed(0)} MB/s, rebuild without shards ${lost} ${result.decodeMBps.toFixed(0)} MB/s`,
        );
      }
      process.exit(0);
    } catch (error) {
      console.error(`qss selftest: ${isQssError(error) ? error.message : String(error)}`);
      process.exit(isQssError(error, "USAGE") ? 2 : 1);
    }
  },
});
