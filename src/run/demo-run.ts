/**
 * The whole job in one go on the embedded MNIST digits, with anomalies planted into a few of them:
 * train the autoencoder and one SVM per digit (or reuse a run folder trained with the same
 * settings), list the top outliers of each digit, explain them with every method, evaluate the
 * explanations by pixel flipping and write the HTML report (per-digit outliers, the planted
 * anomalies found with their masks and maps) — each step timed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { mapShape } from '../data/dataset.ts';
import { fillOutputFolder } from '../io/output-folder.ts';
import type { ClassifierMethod } from '../explain/classifier-methods.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/explain-output.ts';
import { OUTLIER_METHOD_NAMES } from '../neuralize/outlier-methods.ts';
import type { PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import { evaluateOutlierExplanations } from './evaluate-run.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { reportRun, reportedOutliers } from './report-run.ts';
import { readRunConfig, type RunConfig } from './run-config.ts';
import { RunExplainer, type MethodMaps } from './run-explainer.ts';
import { trainRun } from './train-run.ts';
import { writeExplanations } from './write-explanations.ts';

export interface DemoOptions {
  /** folder of everything the demo writes: run/, explain/, report.html */
  out: string;
  /** train again even when out/run was trained with the same settings */
  fresh: boolean;
  data: string;
  features: string;
  /** epochs of the feature network (the demo trains fewer than the network's default, to stay quick) */
  epochs: number;
  nu: number;
  seed: number;
  /** outliers of each class listed and explained (written to out/explain) */
  top: number;
  /** outliers of each class shown in the report */
  reportTop: number;
  /** outliers of each class flipped */
  flipTop: number;
  /** planted samples shown in the report */
  plantedRows: number;
  /** points of each flipping curve (undefined: one patch per step) */
  flipSteps?: number;
  igSteps: number;
  classifierSamples: number;
  classifierMethods: readonly ClassifierMethod[];
  backend: string;
  /** what the job tells the user while it works (default: nothing) */
  progress?: Progress;
}

export interface DemoStep {
  name: string;
  seconds: number;
}

export interface DemoSummary {
  runDir: string;
  reused: boolean;
  explainDir: string;
  reportPath: string;
  steps: DemoStep[];
  flipping: PixelFlippingResult;
  /** the top outliers of each class listed (rank within the class) */
  outliers: Array<{
    rank: number;
    index: number;
    name: string;
    label: string;
    planted: string | null;
    outlierness: number;
    decision: number;
  }>;
  /** detection of the planted anomalies (name → value lines), when the data planted some */
  planted: Array<{ name: string; value: string }>;
}

/** The run settings the demo compares to decide whether an existing run can be reused. */
function sameSettings(config: RunConfig, o: DemoOptions): boolean {
  const epochs = o.features === 'pixels' ? [] : o.features.split('+').map(() => o.epochs);
  return (
    config.data === o.data &&
    config.features === o.features &&
    config.featureNetworks.map((n) => n.epochs).join() === epochs.join() &&
    config.svm.nu === o.nu &&
    config.svm.gammaOption === 'scale' &&
    config.seed === o.seed &&
    config.normal === null &&
    config.perClass
  );
}

/** The existing run folder when it was trained with these settings, else null. */
function reusableRun(dir: string, o: DemoOptions): RunConfig | null {
  if (o.fresh || !existsSync(join(dir, 'config.json'))) return null;
  try {
    const config = readRunConfig(dir);
    return sameSettings(config, o) ? config : null;
  } catch (e) {
    if (e instanceof UserError) return null; // unreadable: train it again
    throw e;
  }
}

/** The rows `at` of every method's maps. */
function rowsAt(results: MethodMaps[], at: readonly number[], mapSize: number): MethodMaps[] {
  return results.map((r) => {
    const maps = new Float32Array(at.length * mapSize);
    at.forEach((k, j) => maps.set(r.maps.subarray(k * mapSize, (k + 1) * mapSize), j * mapSize));
    return { method: r.method, maps, outlierness: Float32Array.from(at, (k) => r.outlierness[k]) };
  });
}
export function runDemo(o: DemoOptions): Promise<DemoSummary> {
  return fillOutputFolder(o.out, 'demo', (_, pieceDone) => demoSteps(o, pieceDone));
}

async function demoSteps(o: DemoOptions, pieceDone: () => void): Promise<DemoSummary> {
  const progress = o.progress ?? SILENT_PROGRESS;
  const steps: DemoStep[] = [];
  const timed = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    const result = await work();
    const seconds = (performance.now() - start) / 1000;
    steps.push({ name, seconds });
    progress.note(`${name}: ${seconds.toFixed(1)} s`);
    return result;
  };
  const runDir = join(o.out, 'run');
  const explainDir = join(o.out, 'explain');
  const reportPath = join(o.out, 'report.html');

  const reused = reusableRun(runDir, o) !== null;
  if (reused) progress.note(`reusing the run in ${runDir} (same settings; --fresh trains again)`);
  else {
    await timed('train', () =>
      trainRun({
        data: o.data,
        features: o.features,
        epochs: o.epochs,
        kernel: 'gaussian',
        nu: o.nu,
        gamma: 'scale',
        perClass: true,
        seed: o.seed,
        out: runDir,
        backend: o.backend,
        progress,
      }),
    );
  }

  pieceDone();
  const explainer = await timed('open run', () => RunExplainer.open(runDir));
  try {
    const { scores, dataset } = explainer.run;
    // the top outliers of each class, class by class, with their rank in the class
    const perClass = reportedOutliers(explainer, Math.max(o.top, o.reportTop, o.flipTop));
    const seen = new Map<string | undefined, number>();
    const rankInClass = perClass.map((c) => {
      seen.set(c.group, (seen.get(c.group) ?? 0) + 1);
      return seen.get(c.group)!;
    });
    const firstOfEach = (count: number) => perClass.flatMap((_, k) => (rankInClass[k] <= count ? [k] : []));
    const indices = perClass.map((c) => c.index);
    const [height, width] = mapShape(dataset.sampleShape);
    const mapSize = height * width;
    const methods = explainer.usableMethods(OUTLIER_METHOD_NAMES, progress.note);

    const results = await timed(`explain ${indices.length} outliers`, () =>
      withSteps(
        progress,
        `explaining the top ${indices.length} outliers with every method`,
        indices.length * methods.length,
        (update) =>
          explainer.explain(indices, methods, {
            composite: DEFAULT_COMPOSITE,
            gradient: { steps: o.igSteps },
            onProgress: update,
          }),
        'sample × method',
      ),
    );
    const listedAt = firstOfEach(o.top);
    const listed = listedAt.map((k) => indices[k]);
    const truth = dataset.anomalies;
    const outliers = listedAt.map((k) => ({
      rank: rankInClass[k],
      index: indices[k],
      name: scores[indices[k]].name,
      label: scores[indices[k]].label,
      planted: truth?.types[indices[k]] ?? null,
      outlierness: results[0].outlierness[k],
      decision: scores[indices[k]].decision,
    }));
    progress.stage(`writing ${explainDir}`);
    await timed(`write ${listed.length} explanations`, () =>
      writeExplanations(explainDir, explainer, listed, rowsAt(results, listedAt, mapSize), {
        composite: DEFAULT_COMPOSITE,
      }),
    );

    const flippedAt = firstOfEach(o.flipTop);
    const flipped = flippedAt.map((k) => indices[k]);
    const flipping = await timed(`pixel flipping of ${flipped.length} outliers`, () =>
      withSteps(progress, `pixel flipping of the top ${flipped.length} outliers`, flipped.length, async (update) => {
        const e = await evaluateOutlierExplanations(explainer, flipped, methods, {
          reference: 'nearest',
          steps: o.flipSteps,
          explanations: rowsAt(results, flippedAt, mapSize),
          onProgress: update,
        });
        return e.flipping;
      }),
    );

    const report = await timed('report', () =>
      reportRun(explainer, reportPath, {
        top: o.reportTop,
        plantedRows: o.plantedRows,
        methods,
        composite: DEFAULT_COMPOSITE,
        gradient: { steps: o.igSteps },
        steps: o.flipSteps,
        classifierSamples: o.classifierSamples,
        classifierMethods: o.classifierMethods,
        explanations: rowsAt(results, firstOfEach(o.reportTop), mapSize),
        outlierFlipping: flipping,
        title: 'oc-explain demo: odd MNIST digits, each against its own class, and planted anomalies',
        progress,
      }),
    );
    return {
      runDir,
      reused,
      explainDir,
      reportPath,
      steps,
      flipping,
      outliers,
      planted: report.planted?.detection.slice(0, 3) ?? [],
    };
  } finally {
    explainer.dispose();
  }
}
