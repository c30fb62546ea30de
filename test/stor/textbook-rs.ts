/**
 * A deliberately slow textbook Reed-Solomon for differential tests: every byte computed with
 * gfMul through explicit matrix products, decoding by inverting the k x k submatrix with
 * matrix.ts (checked itself against multiplication by the original).
 */
import { gfInv, gfMul } from "../../src/stor/gf256.ts";

/**
 * Builds [I; C] independently of matrix.ts: c[i][j] = 1 / ((k + i) xor j), normalised in closed
 * form to C[i][j] = c[i][j] * c[0][0] / (c[0][j] * c[i][0]) (first row and column all ones).
 */
export function textbookEncodingMatrix(k: number, m: number): number[][] {
  const c = (i: number, j: number) => gfInv((k + i) ^ j);
  const rows: number[][] = [];
  for (let i = 0; i < k; i++) rows.push(Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));
  for (let i = 0; i < m; i++) {
    rows.push(
      Array.from({ length: k }, (_, j) =>
        gfMul(gfMul(c(i, j), c(0, 0)), gfInv(gfMul(c(0, j), c(i, 0)))),
      ),
    );
  }
  return rows;
}

export function textbookEncode(data: Uint8Array[], m: number): Uint8Array[] {
  const k = data.length;
  const matrix = textbookEncodingMatrix(k, m);
  const length = data[0]?.length ?? 0;
  return matrix.map((row) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++)
        sum ^= gfMul(row[j] as number, (data[j] as Uint8Array)[i] as number);
      out[i] = sum;
    }
    return out;
  });
}

/** Solve for the data from k shards by Gaussian elimination on an augmented byte system. */
export function textbookDecode(shards: (Uint8Array | null)[], k: number, m: number): Uint8Array[] {
  const matrix = textbookEncodingMatrix(k, m);
  const used = shards.flatMap((s, i) => (s ? [i] : [])).slice(0, k);
  const a = used.map((i) => (matrix[i] as number[]).slice());
  const b: Uint8Array[] = used.map((i) => (shards[i] as Uint8Array).slice());
  for (let col = 0; col < k; col++) {
    let pivot = col;
    while ((a[pivot] as number[])[col] === 0) pivot++;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    [b[col], b[pivot]] = [b[pivot] as Uint8Array, b[col] as Uint8Array];
    const inv = gfInv((a[col] as number[])[col] as number);
    a[col] = (a[col] as number[]).map((v) => gfMul(v, inv));
    b[col] = (b[col] as Uint8Array).map((v) => gfMul(v, inv));
    for (let row = 0; row < k; row++) {
      const f = (a[row] as number[])[col] as number;
      if (row === col || f === 0) continue;
      a[row] = (a[row] as number[]).map((v, j) => v ^ gfMul(f, (a[col] as number[])[j] as number));
      b[row] = (b[row] as Uint8Array).map(
        (v, j) => v ^ gfMul(f, (b[col] as Uint8Array)[j] as number),
      );
    }
  }
  return b as Uint8Array[];
}
