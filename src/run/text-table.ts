/** Plain-text tables for the terminal: right-aligned columns under a header. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The pixel-flipping area table (lower is better), best first. */
export function areaTableText(
  rows: Array<{ method: string; meanArea: number; stdArea: number; nSamples: number }>,
): string {
  return textTable(
    ['method', 'mean area', 'std', 'n'],
    rows.map((r) => [r.method, r.meanArea.toFixed(4), r.stdArea.toFixed(4), String(r.nSamples)]),
  );
}
