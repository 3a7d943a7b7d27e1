/**
 * The package as a user gets it: `npm pack`, `npm install <tarball>` into a fresh ES-module project
 * (from the local npm cache), then only `import … from 'oc-explain'` and `npx oc-explain`. The
 * script fits a one-class SVM, neuralizes it and explains samples with OC-DTD, and the test checks
 * o(x) and Σ R against the float64 formula evaluated by the script from the model's own numbers;
 * a strict NodeNext TypeScript file (and the README's library example, verbatim) type-check
 * against the shipped declarations; the CLI starts and trains a small run. One of the slow tests:
 * about a minute on an idle machine, most of it in `npm install` and `tsc`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The environment of a user's shell: none of the npm_* variables that `npm test` passes down (npm_config_local_prefix would point npm at this repository). */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_') && key !== 'INIT_CWD'),
);

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, env: userEnv, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (result.error) throw result.error;
  return result;
}

/** Runs and expects exit code 0; returns stdout. */
function succeed(command: string, args: string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}\n${result.stdout}`);
  }
  return result.stdout;
}

/** The first ```ts block of the README's "## Library" section. */
function readmeLibraryExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README.md: no ```ts block in the '## Library' section");
  return match[1];
}

/** Fits, neuralizes and explains through the public API; prints what the test checks as JSON. */
const USER_SCRIPT = `
import { initRuntime, mulberry32, OneClassSVM, neuralize, ocdtd, tf } from 'oc-explain';

const backend = await initRuntime({ quiet: true });
const n = 200;
const d = 6;
const random = mulberry32(11);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const data = Float32Array.from({ length: n * d }, gaussian);
const svm = new OneClassSVM({ kernel: 'gaussian', nu: 0.2, gamma: 0.1 }).fit({ data, n, d });

const queries = [
  [6, 0, 0, 0, 0, 0],
  [0, 0, 4, -4, 0, 0],
  [0.1, 0.1, 0, 0, 0, 0],
  Array.from(data.subarray(0, d)),
];
const neuralized = neuralize(svm);
const network = neuralized.network(null, [d]);
const x = tf.tensor2d(queries.flat(), [queries.length, d]);
const { relevance, outlierness } = ocdtd(network, x);
const R = relevance.arraySync();

// o(x) = −(1/γ) log Σ_j (α_j/(νl)) exp(−γ ‖x − u_j‖²), in float64 from the fitted numbers alone
const { supportVectors, dualCoef, gamma, rho, nu, nTrain } = svm;
const scale = nu * nTrain;
const outliernessOf = (q) => {
  let sum = 0;
  for (let j = 0; j < dualCoef.length; j++) {
    let dist = 0;
    for (let i = 0; i < d; i++) dist += (q[i] - supportVectors[j * d + i]) ** 2;
    sum += (dualCoef[j] / scale) * Math.exp(-gamma * dist);
  }
  return -Math.log(sum) / gamma;
};
const decision = svm.decisionFunction(queries);
const samples = queries.map((q, k) => {
  const reference = outliernessOf(q);
  return {
    outlierness: outlierness[k],
    reference,
    sumR: R[k].reduce((a, b) => a + b, 0),
    minR: Math.min(...R[k]),
    decision: decision[k],
    decisionFromReference: scale * Math.exp(-gamma * reference) - rho,
    isOutlier: neuralized.outliers([reference])[0] === 1,
  };
});
tf.dispose([x, relevance]);
neuralized.dispose();
console.log(JSON.stringify({ backend, nSupport: svm.nSupport, samples, tensors: tf.memory().numTensors }));
`;

/** Type-checked only: the declarations must carry real types (each @ts-expect-error must find its error). */
const USER_TYPESCRIPT = `
import {
  explainLRP,
  fromLayersModel,
  initRuntime,
  loadMnist,
  neuralize,
  ocdtd,
  OneClassSVM,
  parseComposite,
  pixelFlipping,
  tf,
  type BackendName,
  type Composite,
  type Dataset,
  type ModelJSON,
  type OutlierMethodName,
} from 'oc-explain';

const backend: BackendName = await initRuntime({ quiet: true });
// @ts-expect-error ν is a number
new OneClassSVM({ nu: 'high' });
const svm: OneClassSVM = new OneClassSVM({ nu: 0.5 }).fit([[0, 1], [1, 0], [1, 1], [0, 0]]);
const rho: number = svm.rho;
const json: ModelJSON = svm.toJSON();
const result = ocdtd(neuralize(svm).network(null, [2]), tf.tensor2d([[2, 2]]));
const o: Float32Array = result.outlierness;
// @ts-expect-error o(x) comes as numbers
const text: string = result.outlierness;
const method: OutlierMethodName = 'ocdtd';
// @ts-expect-error not an outlier explanation method
const wrong: OutlierMethodName = 'lrp:epsilon-plus';
const composite: Composite = parseComposite('lrp:epsilon-plus-flat');
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
const lrp = explainLRP(fromLayersModel(model), tf.zeros([2, 4]), { composite, target: 'predicted' });
const target: Int32Array = lrp.target;
const flipped = await pixelFlipping((batch) => tf.sum(batch, [1, 2]), tf.ones([1, 4, 4]), [
  { method: 'any', relevance: new Float32Array(16) },
]);
const area: number = flipped.curves[0].meanArea;
const digits: Dataset = loadMnist({ limit: 10 });
console.log(backend, rho, json.format, o, text, method, wrong, target, area, digits.n);
`;

describe('the npm package, installed and used as a user would', () => {
  let work = '';
  let project = '';
  let packed: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'oc-explain-install-'));
    // no prepare here: the global setup has just built dist/, and rebuilding it would race the CLI tests that run it
    const [info] = JSON.parse(succeed('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
    packed = (info.files as Array<{ path: string }>).map((f) => f.path);
    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'oc-explain-user', version: '1.0.0', private: true, type: 'module' }),
    );
    succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], project);
  }, 900_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs the build, the sources its maps point to, the bin, the README and the method notes, nothing else', () => {
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'docs/methods.md',
      'bin/oc-explain.js',
      'dist/index.js',
    ]) {
      expect(packed).toContain(needed);
    }
    const outside = packed.filter(
      (p) => !/^(dist|src|bin)\//.test(p) && !['package.json', 'README.md', 'LICENSE', 'docs/methods.md'].includes(p),
    );
    expect(outside).toEqual([]);
    expect(packed.filter((p) => p.endsWith('.tsbuildinfo'))).toEqual([]);
    // every compiled module has its declarations and a source (no output of a deleted source)
    for (const js of packed.filter((p) => p.startsWith('dist/') && p.endsWith('.js'))) {
      expect(packed).toContain(js.replace(/\.js$/, '.d.ts'));
      expect(packed).toContain(js.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
    }
    // every source map and declaration map points at files that are in the package
    const installed = join(project, 'node_modules', 'oc-explain');
    const maps = packed.filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources)
        expect(packed).toContain(relative(installed, join(installed, dirname(map), source)));
    }
  });

  it('imports as an ES module and offers exactly the API of src/index.ts', async () => {
    const listed = succeed(
      process.execPath,
      ['-e', "import('oc-explain').then((m) => console.log(JSON.stringify(Object.keys(m).sort())))"],
      project,
    );
    const api = JSON.parse(listed) as string[];
    for (const name of ['initRuntime', 'OneClassSVM', 'neuralize', 'ocdtd', 'explainOutliers', 'explainLRP']) {
      expect(api).toContain(name);
    }
    expect(api).toEqual(Object.keys(await import('../src/index.ts')).sort());
  });

  it('fits, neuralizes and explains: OC-DTD gives o(x) and conserves it, against the float64 formula', () => {
    writeFileSync(join(project, 'explain.mjs'), USER_SCRIPT);
    const out = JSON.parse(succeed(process.execPath, ['explain.mjs'], project));
    expect(out.nSupport).toBeGreaterThan(0);
    expect(out.samples.map((s: any) => s.isOutlier)).toEqual([true, true, false, out.samples[3].isOutlier]);
    for (const s of out.samples) {
      expect(Math.abs(s.outlierness - s.reference)).toBeLessThanOrEqual(1e-4 * Math.max(1, s.reference));
      expect(Math.abs(s.sumR - s.reference)).toBeLessThanOrEqual(1e-4 * Math.max(1, s.reference));
      expect(s.minR).toBeGreaterThanOrEqual(0);
      expect(Math.abs(s.decision - s.decisionFromReference)).toBeLessThanOrEqual(1e-4 * Math.max(1, s.reference));
      expect(s.decision < 0).toBe(s.isOutlier);
    }
    expect(out.tensors).toBe(0);
  });

  it('runs the README library example verbatim: the top outliers, with Σ R = o(x)', () => {
    writeFileSync(join(project, 'readme-example.mjs'), readmeLibraryExample());
    const lines = succeed(process.execPath, ['readme-example.mjs'], project).trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const match = /^sample \d+: f\(x\) = (\S+), o\(x\) = (\S+), Σ R = (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const [f, o, sumR] = match!.slice(1).map(Number);
      expect(f).toBeLessThan(0);
      expect(o).toBeGreaterThan(0);
      expect(Math.abs(sumR - o)).toBeLessThanOrEqual(2e-4 * o + 1e-4);
    }
  });

  it('type-checks strict NodeNext TypeScript (and the README example) against the shipped declarations', () => {
    writeFileSync(join(project, 'use.ts'), USER_TYPESCRIPT);
    writeFileSync(join(project, 'readme-example.ts'), readmeLibraryExample());
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      // the declarations are checked too; tfjs-layers' own do not pass a strict check (known upstream), ours must
      skipLibCheck: false,
    };
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['use.ts', 'readme-example.ts'] }),
    );
    const result = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], project);
    const diagnostics = [...result.stdout.matchAll(/^(\S[^(\n]*)\(\d+,\d+\): error TS\d+: .*$/gm)];
    const ours = diagnostics.filter(([, file]) => !file.startsWith('node_modules/@tensorflow/')).map(([line]) => line);
    expect(ours).toEqual([]);
    if (result.status !== 0) expect(diagnostics.length, result.stdout + result.stderr).toBeGreaterThan(0);
  });

  it('runs the CLI through npx: --help, and a small training run', () => {
    const help = succeed('npx', ['--no', '--', 'oc-explain', '--help'], project);
    expect(help).toContain('Usage: oc-explain');
    for (const command of ['train', 'outliers', 'explain', 'evaluate', 'report', 'demo', 'info']) {
      expect(help).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    succeed(
      'npx',
      ['--no', '--', 'oc-explain', 'train', '--data', 'mnist:limit=200', '--features', 'pixels', '--out', 'run'],
      project,
    );
    for (const file of ['config.json', 'ocsvm.json', 'scores.csv'])
      expect(existsSync(join(project, 'run', file))).toBe(true);
    const scores = readFileSync(join(project, 'run', 'scores.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(scores[0]).toBe('index,name,label,decision');
    expect(scores).toHaveLength(201);
  });
});
