/**
 * CLI start-up: `oc-explain --help` and `oc-explain info`, each started as a fresh process, the
 * compiled CLI (`node bin/oc-explain.js`, running dist/) against the way the CLI started before the
 * build (tsx registered in the process, then src/cli.ts imported and compiled on the fly), both in
 * the same run, interleaved so that a busy machine slows every variant alike. tsx is timed with
 * its compile cache warm (a developer's steady state) and disabled (TSX_DISABLE_CACHE=1: the first
 * start after a clone or an edit). Medians of RUNS starts after one warm-up start each; CPU time is
 * the children's user + system time from /proc (Linux). Builds dist/ first.
 * `npm run bench:startup` (RUNS=9 by default, at least 7).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const RUNS = Math.max(7, Number(process.env.RUNS ?? 9));
const root = join(import.meta.dirname, '..');

interface Variant {
  name: string;
  /** node arguments before the CLI's own */
  args: string[];
  env?: Record<string, string>;
}

interface Sample {
  wall: number;
  cpu: number | null;
}

/** User + system seconds of this process's finished children, or null where /proc is missing. */
function childCpuSeconds(): number | null {
  try {
    // fields after the parenthesised command name; cutime and cstime are the 14th and 15th of them
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

function startOnce(variant: Variant, cliArgs: string[]): Sample {
  const cpuBefore = childCpuSeconds();
  const start = performance.now();
  const result = spawnSync(process.execPath, [...variant.args, ...cliArgs], {
    cwd: root,
    env: { ...process.env, ...variant.env },
    encoding: 'utf8',
  });
  const wall = (performance.now() - start) / 1000;
  const cpuAfter = childCpuSeconds();
  if (result.status !== 0 || result.stdout.trim() === '') {
    throw new Error(`${variant.name} ${cliArgs.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
  }
  return { wall, cpu: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

console.log('building dist/ …');
execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });

// the pre-build bin: register tsx, then import the TypeScript sources
const scratch = mkdtempSync(join(tmpdir(), 'oc-explain-startup-'));
const tsxBin = join(scratch, 'oc-explain-tsx.mjs');
writeFileSync(
  tsxBin,
  [
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    'register();',
    `const { main } = await import(${JSON.stringify(pathToFileURL(join(root, 'src', 'cli.ts')).href)});`,
    'process.exitCode = await main(process.argv.slice(2));',
  ].join('\n'),
);

const variants: Variant[] = [
  { name: 'compiled (dist/)', args: [join(root, 'bin', 'oc-explain.js')] },
  { name: 'tsx, cache warm', args: [tsxBin] },
  { name: 'tsx, no cache', args: [tsxBin], env: { TSX_DISABLE_CACHE: '1' } },
];
const commands = [['--help'], ['info']];

try {
  console.log(`${RUNS} starts per figure after one warm-up, interleaved; node ${process.version}`);
  const rows: string[][] = [];
  for (const cliArgs of commands) {
    for (const v of variants) startOnce(v, cliArgs);
    const samples = variants.map((): Sample[] => []);
    for (let r = 0; r < RUNS; r++) variants.forEach((v, k) => samples[k].push(startOnce(v, cliArgs)));
    const wall = samples.map((s) => median(s.map((x) => x.wall)));
    const cpu = samples.map((s) => (s.every((x) => x.cpu !== null) ? median(s.map((x) => x.cpu!)) : null));
    const ms = (seconds: number | null) => (seconds === null ? '–' : `${(1000 * seconds).toFixed(0)} ms`);
    const ratio = (a: number | null, b: number | null) => (a === null || b === null ? '–' : `${(a / b).toFixed(2)}×`);
    variants.forEach((v, k) => {
      rows.push([
        `oc-explain ${cliArgs.join(' ')}`,
        v.name,
        ms(wall[k]),
        ms(cpu[k]),
        ratio(wall[k], wall[0]),
        ratio(cpu[k], cpu[0]),
      ]);
    });
  }
  const header = ['command', 'started as', 'wall (median)', 'CPU (median)', 'wall / compiled', 'CPU / compiled'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  for (const line of [header, ...rows]) {
    console.log(
      line
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
