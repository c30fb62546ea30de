/**
 * INIT negotiation: settle on the lower minor version, and take only the flags qss really
 * implements among those the kernel offers.
 */
import {
  InitFlag,
  kernelMinorVersion,
  kernelMinorVersionMin,
  maxPagesMax,
  maxWriteBytesMax,
} from "./abi.ts";
import type { InitArgs } from "./decode.ts";
import type { InitReply } from "./encode.ts";

export interface NegotiateOptions {
  /** Let the kernel cache writes and send them in large batches (FUSE_WRITEBACK_CACHE). */
  writebackCache: boolean;
  maxWriteBytes: number;
  maxBackground: number;
}

/** Flags qss implements whatever the options. */
const flagsImplemented =
  InitFlag.ASYNC_READ |
  InitFlag.ATOMIC_O_TRUNC |
  InitFlag.EXPORT_SUPPORT |
  InitFlag.BIG_WRITES |
  InitFlag.DO_READDIRPLUS |
  InitFlag.READDIRPLUS_AUTO |
  InitFlag.PARALLEL_DIROPS |
  InitFlag.MAX_PAGES |
  InitFlag.HANDLE_KILLPRIV_V2 |
  InitFlag.ASYNC_DIO;

export function negotiateInit(args: InitArgs, options: NegotiateOptions): InitReply | number {
  // EPROTO: only protocol 7 exists, and older minors have shorter structs than ours.
  if (args.major !== 7 || args.minor < kernelMinorVersionMin) return 71;
  let wanted = flagsImplemented;
  if (options.writebackCache) wanted |= InitFlag.WRITEBACK_CACHE;
  const flags = args.flags & wanted;
  const maxWriteBytes = Math.min(options.maxWriteBytes, maxWriteBytesMax);
  return {
    minor: Math.min(args.minor, kernelMinorVersion),
    maxReadahead: args.maxReadahead,
    flags,
    maxBackground: options.maxBackground,
    congestionThreshold: Math.floor((options.maxBackground * 3) / 4),
    maxWriteBytes:
      (flags & InitFlag.MAX_PAGES) !== 0 ? maxWriteBytes : Math.min(maxWriteBytes, 128 * 1024),
    timeGranularityNs: 1,
    maxPages:
      (flags & InitFlag.MAX_PAGES) !== 0
        ? Math.min(maxPagesMax, Math.ceil(maxWriteBytes / 4096))
        : 0,
    flags2: 0,
  };
}
