/**
 * The common output of every benchmark: a table for people, or with `--json` one object per
 * line and case: {"bench","case","unit","qss","comparator","ref","ratio","target"}, where `ratio`
 * is oriented so that higher is better and `target` is the bar for it (0: no bar, the
 * case is reported for information).
 */
export interface BenchRow {
  bench: string;
  case: string;
  unit: string;
  qss: number;
  comparator: number;
  ref: string;
  ratio: number;
  target: number;
}

export function printRows(rows: BenchRow[], json: boolean): void {
  if (json) {
    for (const row of rows) console.log(JSON.stringify(row));
    return;
  }
  const header = ["case", "unit", "qss", "comparator", "ratio", "target", ""];
  const lines = rows.map((row) => [
    row.case,
    row.unit,
    format(row.qss),
    `${format(row.comparator)} (${row.ref})`,
    `${row.ratio.toFixed(2)}×`,
    row.target > 0 ? `≥ ${row.target.toFixed(2)}×` : "no bar",
    row.target === 0 || row.ratio >= row.target ? "ok" : "BELOW",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const render = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
  console.log(`# ${rows[0]?.bench ?? "bench"}`);
  console.log(render(header));
  for (const line of lines) console.log(render(line));
}

function format(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}
