/**
 * Matrices over GF(2^8), stored row-major in one Uint8Array, and the systematic encoding matrix.
 *
 * The encoding matrix is the identity (k rows: data shards are the input itself) over a Cauchy
 * matrix (m parity rows): C[i][j] = 1 / (x_i + y_j) with y_j = j and x_i = k + i, all distinct
 * because k + m <= 256. Every square submatrix of a Cauchy matrix is invertible, so any k rows of
 * [I; C] form an invertible matrix: any k of the n shards rebuild the data. C is then normalised
 * (first row and first column all ones) so the first parity shard is a plain xor.
 */
import { assert } from "../base/assert.ts";
import { gfInv, gfMul } from "./gf256.ts";

export interface GfMatrix {
  readonly rows: number;
  readonly columns: number;
  readonly cells: Uint8Array;
}

export function cauchyParityMatrix(dataShards: number, parityShards: number): GfMatrix {
  assert(dataShards + parityShards <= 256, "Cauchy matrix needs k + m <= 256");
  const k = dataShards;
  const cells = new Uint8Array(parityShards * k);
  for (let row = 0; row < parityShards; row++) {
    for (let column = 0; column < k; column++) cells[row * k + column] = gfInv((k + row) ^ column);
  }
  // Normalise: scale columns so the first parity row is all ones (a plain xor), then scale the
  // other rows so their first cell is one. Scaling rows or columns of the parity part by nonzero
  // constants keeps every k x k submatrix of [I; C] invertible.
  for (let column = 0; column < k; column++) {
    const scale = gfInv(cells[column] as number);
    for (let row = 0; row < parityShards; row++) {
      cells[row * k + column] = gfMul(cells[row * k + column] as number, scale);
    }
  }
  for (let row = 1; row < parityShards; row++) {
    const scale = gfInv(cells[row * k] as number);
    for (let column = 0; column < k; column++) {
      cells[row * k + column] = gfMul(cells[row * k + column] as number, scale);
    }
  }
  return { rows: parityShards, columns: k, cells };
}

/** Row `shardIndex` of [I; C]: a unit row for a data shard, a parity row otherwise. */
export function encodingRow(parity: GfMatrix, shardIndex: number): Uint8Array {
  const k = parity.columns;
  if (shardIndex < k) {
    const unit = new Uint8Array(k);
    unit[shardIndex] = 1;
    return unit;
  }
  return parity.cells.slice((shardIndex - k) * k, (shardIndex - k + 1) * k);
}

/** Gauss-Jordan inversion; throws if the matrix is singular (never for k rows of [I; C]). */
export function invertMatrix(matrix: GfMatrix): GfMatrix {
  const size = matrix.rows;
  assert(size === matrix.columns, "only square matrices can be inverted");
  const work = matrix.cells.slice();
  const inverse = new Uint8Array(size * size);
  for (let i = 0; i < size; i++) inverse[i * size + i] = 1;
  for (let pivotColumn = 0; pivotColumn < size; pivotColumn++) {
    let pivotRow = pivotColumn;
    while (pivotRow < size && work[pivotRow * size + pivotColumn] === 0) pivotRow++;
    assert(pivotRow < size, "matrix is singular");
    swapRows(work, size, pivotRow, pivotColumn);
    swapRows(inverse, size, pivotRow, pivotColumn);
    const scale = gfInv(work[pivotColumn * size + pivotColumn] as number);
    scaleRow(work, size, pivotColumn, scale);
    scaleRow(inverse, size, pivotColumn, scale);
    for (let row = 0; row < size; row++) {
      const factor = work[row * size + pivotColumn] as number;
      if (row === pivotColumn || factor === 0) continue;
      addScaledRow(work, size, pivotColumn, row, factor);
      addScaledRow(inverse, size, pivotColumn, row, factor);
    }
  }
  return { rows: size, columns: size, cells: inverse };
}

function swapRows(cells: Uint8Array, size: number, a: number, b: number): void {
  if (a === b) return;
  for (let column = 0; column < size; column++) {
    const t = cells[a * size + column] as number;
    cells[a * size + column] = cells[b * size + column] as number;
    cells[b * size + column] = t;
  }
}

function scaleRow(cells: Uint8Array, size: number, row: number, factor: number): void {
  for (let column = 0; column < size; column++) {
    cells[row * size + column] = gfMul(cells[row * size + column] as number, factor);
  }
}

function addScaledRow(cells: Uint8Array, size: number, from: number, to: number, factor: number) {
  for (let column = 0; column < size; column++) {
    cells[to * size + column] =
      (cells[to * size + column] as number) ^ gfMul(cells[from * size + column] as number, factor);
  }
}

/** Product of two matrices (used to build decode matrices and by the textbook reference). */
export function multiplyMatrices(a: GfMatrix, b: GfMatrix): GfMatrix {
  assert(a.columns === b.rows, "matrix shapes do not match");
  const cells = new Uint8Array(a.rows * b.columns);
  for (let row = 0; row < a.rows; row++) {
    for (let column = 0; column < b.columns; column++) {
      let sum = 0;
      for (let i = 0; i < a.columns; i++) {
        sum ^= gfMul(
          a.cells[row * a.columns + i] as number,
          b.cells[i * b.columns + column] as number,
        );
      }
      cells[row * b.columns + column] = sum;
    }
  }
  return { rows: a.rows, columns: b.columns, cells };
}
