/**
 * Just enough ELF reading to check a built binary: its machine and its program interpreter
 * (which says glibc or musl). Used by the release manifest and the build tests.
 */
export interface ElfFacts {
  machine: "x86-64" | "aarch64" | `unknown(${number})`;
  interpreter: string | null;
}

const elfMachines: Record<number, ElfFacts["machine"]> = { 62: "x86-64", 183: "aarch64" };
const programHeaderInterp = 3;

export function readElfFacts(bytes: Uint8Array): ElfFacts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isElf = bytes.length > 64 && view.getUint32(0) === 0x7f454c46;
  if (!isElf || bytes[4] !== 2 || bytes[5] !== 1) {
    throw new TypeError("Cannot read ELF: not a 64-bit little-endian ELF file");
  }
  const machineCode = view.getUint16(18, true);
  const programHeaderOffset = Number(view.getBigUint64(32, true));
  const programHeaderSize = view.getUint16(54, true);
  const programHeaderCount = view.getUint16(56, true);
  let interpreter: string | null = null;
  for (let index = 0; index < programHeaderCount; index++) {
    const at = programHeaderOffset + index * programHeaderSize;
    if (view.getUint32(at, true) !== programHeaderInterp) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 32, true));
    interpreter = new TextDecoder()
      .decode(bytes.subarray(offset, offset + size))
      .replace(/\0+$/, "");
  }
  return { machine: elfMachines[machineCode] ?? `unknown(${machineCode})`, interpreter };
}
