/** Named limits of the 0-db engine and server (reference values unless said otherwise). */
export const keyBytesMax = 255;
export const valueBytesMax = 8 * 1024 * 1024;
export const requestArgumentsMax = 1024;
export const namespaceNameBytesMax = 128;
export const passwordBytesMax = 128;
/** Data files use u32 offsets, so one file stays below 4 GiB. */
export const dataFileBytesMax = 4 * 1024 * 1024 * 1024 - 1;
export const dataFileBytesMin = 512 * 1024;
export const dataFileBytesDefault = 256 * 1024 * 1024;
/** NSSET values longer than this are refused (`-Invalid value`). */
export const propertyValueBytesMax = 63;
/** Open file descriptors of closed data files kept per namespace. */
export const closedDataFilesOpenMax = 16;
/** WAIT timeout bounds, as the reference. */
export const waitTimeoutMsMin = 100;
export const waitTimeoutMsMax = 30 * 60 * 1000;
export const waitTimeoutMsDefault = 5000;
/**
 * Longest a hook run may take before it is killed and counted as failed (the reference has
 * no bound). Blocking hooks (jump-index, namespaces-init, ready, close) hold the event loop
 * that long at most; configurable (`hookRunMsMax`, `qss zdb --hook-timeout`).
 */
export const hookRunMsMaxDefault = 120_000;
/** Hook runs remembered for the HOOKS command. */
export const hookRunsRemembered = 64;
/**
 * Write-through copy of the current data file's tail kept in memory per written namespace
 * (`data-tail.ts`): recent values are read back without a pread. Entries larger than
 * `tailEntryBytesMax` are not copied (a pread of them costs little next to their size).
 */
export const tailBytesMax = 4 * 1024 * 1024;
export const tailEntryBytesMax = 64 * 1024;
/** Namespaces with a tail at once, process-wide (the first ones written get one): 64 MiB. */
export const tailsMax = 16;
