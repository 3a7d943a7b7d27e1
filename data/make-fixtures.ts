/**
 * Writes the tiny committed data sets used by the tests and examples:
 *   data/tiny-png/a/*.png   three 8×8 grey images            (class 'a')
 *   data/tiny-png/b/*.png   two 8×8 RGB + one RGBA image     (class 'b'; mixing → all RGB)
 *   data/tiny-grey/*.png    three 8×8 grey images, no classes (unlabelled)
 *   data/tiny.csv           6 rows × 3 numbers + a 'species' label column, with header
 * Pixel bytes follow fixtureByte() in test/helpers/raw-png.ts; PNGs are encoded without pngjs.
 * Run: npx tsx data/make-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRawPng, fixtureByte, type RawColourType } from '../test/helpers/raw-png.ts';

const SIDE = 8;
const here = import.meta.dirname;

function image(index: number, channels: number): Uint8Array {
  const bytes = new Uint8Array(SIDE * SIDE * channels);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++)
      for (let c = 0; c < channels; c++) bytes[(y * SIDE + x) * channels + c] = fixtureByte(index, y, x, c);
  return bytes;
}

function writeImage(path: string, index: number, colourType: RawColourType, channels: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, encodeRawPng(SIDE, SIDE, colourType, image(index, channels)));
}

for (let i = 0; i < 3; i++) writeImage(join(here, 'tiny-png', 'a', `${i}.png`), i, 0, 1);
writeImage(join(here, 'tiny-png', 'b', '0.png'), 3, 2, 3);
writeImage(join(here, 'tiny-png', 'b', '1.png'), 4, 2, 3);
writeImage(join(here, 'tiny-png', 'b', '2.png'), 5, 6, 4);
for (let i = 0; i < 3; i++) writeImage(join(here, 'tiny-grey', `${i}.png`), 10 + i, 0, 1);

const csv = [
  'x1,x2,x3,species',
  '0.5,1,-2,setosa',
  '1.5,2e-1,3,virginica',
  '-0.25,.5,4,setosa',
  '2,2,2,versicolor',
  '1e1,-1.5E+1,0,virginica',
  '3,0,-1,setosa',
];
writeFileSync(join(here, 'tiny.csv'), csv.join('\n') + '\n');
console.log('fixtures written to', here);
