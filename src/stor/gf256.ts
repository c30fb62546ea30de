/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and generator 2,
 * the field most Reed-Solomon erasure codes use. Tables are built once at import.
 *
 * @example
 * gfMul(3, 7); // 9
 */
const polynomial = 0x11d;

/** gfExp[i] = 2^i, doubled in length so gfExp[logA + logB] needs no modulo. */
export const gfExp: Uint8Array = new Uint8Array(512);
/** gfLog[x] = i with 2^i = x, for x in 1..255 (gfLog[0] is unused). */
export const gfLog: Uint8Array = new Uint8Array(256);

{
  let value = 1;
  for (let power = 0; power < 255; power++) {
    gfExp[power] = value;
    gfLog[value] = power;
    value <<= 1;
    if (value & 0x100) value ^= polynomial;
  }
  for (let power = 255; power < 512; power++) gfExp[power] = gfExp[power - 255] as number;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return gfExp[(gfLog[a] as number) + (gfLog[b] as number)] as number;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("Cannot invert 0 in GF(2^8)");
  return gfExp[255 - (gfLog[a] as number)] as number;
}

/** Row c (bytes c*256 .. c*256+255) holds c*x for every x: one lookup per byte in the kernels. */
export const gfMulTable: Uint8Array = new Uint8Array(256 * 256);
for (let c = 0; c < 256; c++) {
  for (let x = 0; x < 256; x++) gfMulTable[c * 256 + x] = gfMul(c, x);
}

/**
 * Split-nibble tables for the SIMD kernel: for each coefficient c, 16 bytes c*x (x = 0..15) then
 * 16 bytes c*(x << 4). c*b = low[b & 15] ^ high[b >> 4] because multiplication distributes over xor.
 */
export function gfNibbleTables(): Uint8Array {
  const tables = new Uint8Array(256 * 32);
  for (let c = 0; c < 256; c++) {
    for (let x = 0; x < 16; x++) {
      tables[c * 32 + x] = gfMul(c, x);
      tables[c * 32 + 16 + x] = gfMul(c, x << 4);
    }
  }
  return tables;
}
