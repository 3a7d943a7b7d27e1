/**
 * The whole job in one go on the embedded MNIST digits: train (or reuse a run folder trained with
 * the same settings), list the top outliers, explain them with every method, evaluate the
 * explanations by pixel flipping and write the HTML report — each step timed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { mapShape } from '../data/dataset.ts';
import { DEFAULT_EPOCHS } from '../features/training-defaults.ts';
import { fillOutputFolder } from '../io/output-folder.ts';
import type { ClassifierMethod } from '../explain/classifier-methods.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/explain-output.ts';
import { OUTLIER_METHOD_NAMES } from '../neuralize/outlier-methods.ts';
import type { PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import { evaluateOutlierExplanations } from './evaluate-run.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { reportRun } from './report-run.ts';
import { readRunConfig, type RunConfig } from './run-config.ts';
import { RunExplainer, type MethodMaps } from './run-explainer.ts';
import { topOutliers } from './scores-csv.ts';
import { trainRun } from './train-run.ts';
import { writeExplanations } from './write-explanations.ts';

export interface DemoOptions {
  /** folder of everything the demo writes: run/, explain/, report.html */
  out: string;
  /** train again even when out/run was trained with the same settings */
  fresh: boolean;
  data: string;
  features: string;
  epochs?: number;
  nu: number;
  seed: number;
  /** outliers listed and explained (written to out/explain) */
  top: number;
  /** outliers shown in the report */
  reportTop: number;
  /** outliers flipped */
  flipTop: number;
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
  rocAuc: number | null;
  flipping: PixelFlippingResult;
  /** the top outliers listed */
  outliers: Array<{ rank: number; index: number; label: string; outlierness: number; decision: number }>;
}

/** The run settings the demo compares to decide whether an existing run can be reused. */
function sameSettings(config: RunConfig, o: DemoOptions): boolean {
  const epochs = o.features === 'pixels' ? null : (o.epochs ?? DEFAULT_EPOCHS);
  return (
    config.data === o.data &&
    config.features === o.features &&
    (config.featureNetwork?.epochs ?? null) === epochs &&
    config.svm.nu === o.nu &&
    config.svm.gammaOption === 'scale' &&
    config.seed === o.seed &&
    config.normal === null
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

/** The first `count` rows of every method's maps. */
function firstRows(results: MethodMaps[], count: number, mapSize: number): MethodMaps[] {
  return results.map((r) => ({
    method: r.method,
    maps: r.maps.slice(0, count * mapSize),
    outlierness: r.outlierness.slice(0, count),
  }));
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
    steps.push({ name, seconds: (performance.now() - start) / 1000 });
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
    const { scores, config, dataset } = explainer.run;
    const explainCount = Math.max(o.top, o.reportTop, o.flipTop);
    const indices = topOutliers(scores, explainCount).map((s) => s.index);
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
    const listed = indices.slice(0, o.top);
    const outliers = listed.map((index, k) => ({
      rank: k + 1,
      index,
      label: scores[index].label,
      outlierness: results[0].outlierness[k],
      decision: scores[index].decision,
    }));
    progress.stage(`writing ${explainDir}`);
    await timed(`write ${listed.length} explanations`, () =>
      writeExplanations(explainDir, explainer, listed, firstRows(results, listed.length, mapSize), {
        composite: DEFAULT_COMPOSITE,
      }),
    );

    const flipped = indices.slice(0, o.flipTop);
    const flipping = await timed(`pixel flipping of ${flipped.length} outliers`, () =>
      withSteps(progress, `pixel flipping of the top ${flipped.length} outliers`, flipped.length, async (update) => {
        const e = await evaluateOutlierExplanations(explainer, flipped, methods, {
          reference: 'nearest',
          steps: o.flipSteps,
          explanations: firstRows(results, flipped.length, mapSize),
          onProgress: update,
        });
        return e.flipping;
      }),
    );

    await timed('report', () =>
      reportRun(explainer, reportPath, {
        top: o.reportTop,
        methods,
        composite: DEFAULT_COMPOSITE,
        gradient: { steps: o.igSteps },
        steps: o.flipSteps,
        classifierSamples: o.classifierSamples,
        classifierMethods: o.classifierMethods,
        explanations: firstRows(results, o.reportTop, mapSize),
        outlierFlipping: flipping,
        title: 'oc-explain demo: outliers among the MNIST digits',
        progress,
      }),
    );
    return { runDir, reused, explainDir, reportPath, steps, rocAuc: config.rocAuc, flipping, outliers };
  } finally {
    explainer.dispose();
  }
}
