/** Small inputs for the CLI tests, made on the spot: a CSV of MNIST digits, PNG folders, a file-tree snapshot. */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadMnist } from '../../src/data/mnist.ts';
import { mulberry32 } from '../../src/data/random.ts';
import { encodeRawPng } from './raw-png.ts';

/** MNIST digits as CSV rows: 784 values in [0, 1] (3 decimals), the digit last. */
export function writeMnistCsv(path: string, digits: number[], limit: number): string {
  const ds = loadMnist({ digits, limit });
  const rows: string[] = [];
  for (let i = 0; i < ds.n; i++) {
    const values = Array.from(ds.x.subarray(i * 784, (i + 1) * 784), (v) => Number(v.toFixed(3)));
    rows.push(`${values.join(',')},${ds.classNames[ds.labels![i]]}`);
  }
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

/**
 * A labelled folder of small grey PNGs: class 'bar' has a bright vertical bar, class 'dot' a bright
 * centre pixel, both on seeded noise.
 */
export function writeSmallPngFolder(dir: string, side: number, perClass: number, seed = 1): string {
  const random = mulberry32(seed);
  for (const name of ['bar', 'dot']) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const pixels = Uint8Array.from({ length: side * side }, () => Math.floor(random() * 60));
      const c = Math.floor(side / 2);
      if (name === 'bar') for (let y = 0; y < side; y++) pixels[y * side + c] = 255;
      else pixels[c * side + c] = 255;
      writeFileSync(join(dir, name, `${k}.png`), encodeRawPng(side, side, 0, pixels));
    }
  }
  return dir;
}

/** Every file and folder below `dir`, relative, sorted. */
export function fileTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      out.push(relative(dir, full));
      if (statSync(full).isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}
