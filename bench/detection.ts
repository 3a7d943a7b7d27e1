/**
 * Which feature space lets the one-class SVM find anomalies? Two measures, each feature space next
 * to raw pixels in the same run (`npm run bench:detection [-- --quick] [--part planted|one-class]
 * [--kinds ae,geo]` — one measure only; only spaces of networks of these kinds):
 *
 * 1. Planted anomalies: 5 % of the MNIST digits of one class get a blob, scratch, occlusion,
 *    pasted fragment or noise patch (src/data/planted-anomalies.ts); the SVM is fitted on the
 *    contaminated class and ranks its samples. ROC AUC planted vs clean, and the share of planted
 *    samples among the top k (k = number planted). The CNN is a classifier trained on all ten
 *    contaminated classes (it needs labels); the autoencoder (ae) and the transformation network
 *    (geo) are trained without labels on the contaminated class alone.
 * 2. One-class MNIST, held out: the networks and the SVM are trained on `train` samples of one
 *    digit; the AUC is measured on samples none of them saw — the rest of that digit against
 *    `others` random samples of each other digit. A classifier cannot be trained on one class, so
 *    the CNN has no entry here.
 *
 * ν = 0.1, Gaussian kernel, γ = scale everywhere. Times are wall seconds beside the process's CPU
 * seconds: on a shared machine the wall time is inflated by other work.
 */
import { initRuntime, type tf } from '../src/runtime/runtime.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { plantAnomalies, ANOMALY_TYPES } from '../src/data/planted-anomalies.ts';
import { mulberry32, shuffleInPlace } from '../src/data/random.ts';
import { subset } from '../src/data/split.ts';
import { DEFAULT_AUTOENCODER_EPOCHS } from '../src/features/autoencoder.ts';
import { DEFAULT_TRANSFORMATION_EPOCHS } from '../src/features/transformation-network.ts';
import { trainNetworkOfKind, type FeatureNetworkKind } from '../src/features/network-kinds.ts';
import { rocAuc } from '../src/metrics/roc-auc.ts';
import { plantedDetection, type PlantedDetection } from '../src/metrics/planted-detection.ts';
import { Detector } from '../src/run/detector.ts';
import { FeatureSpace, type NetworkTap } from '../src/run/feature-space.ts';
import { textTable } from '../src/run/text-table.ts';

const quick = process.argv.includes('--quick');
/** `--part planted` or `--part one-class`: one of the two measures (default both) */
const partArg = process.argv.indexOf('--part');
const PARTS = partArg >= 0 ? [process.argv[partArg + 1]] : ['planted', 'one-class'];
/** `--kinds ae`: only the spaces whose networks are all of these kinds (pixels always) */
const kindsArg = process.argv.indexOf('--kinds');
const KINDS = kindsArg >= 0 ? process.argv[kindsArg + 1].split(',') : null;
const SETTINGS = quick
  ? { plantedDigits: [0], oneClassDigits: [0, 5], train: 300, others: 20, cnnEpochs: 2, aeEpochs: 5, geoEpochs: 2 }
  : {
      plantedDigits: [0, 1, 7],
      oneClassDigits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      train: 400,
      others: 40,
      cnnEpochs: 3, // 97 % held-out accuracy already (bench/features.ts); the CNN is not the space that wins here
      aeEpochs: DEFAULT_AUTOENCODER_EPOCHS,
      geoEpochs: DEFAULT_TRANSFORMATION_EPOCHS,
    };
const RATE = 0.05;
const SVM = { kernel: 'gaussian', nu: 0.1, gamma: 'scale' as const };

/** A feature space to measure: the networks it reads (none for pixels) and their layers. */
interface Candidate {
  name: string;
  kinds: FeatureNetworkKind[];
  taps: NetworkTap[];
}
const tapsOf = (...layers: string[]): NetworkTap[] => layers.map((layer) => ({ network: 0, layer }));
const PIXELS: Candidate = { name: 'pixels', kinds: [], taps: [] };
const CNN: Candidate[] = [
  { name: 'cnn: features (last layer)', kinds: ['cnn'], taps: tapsOf('features') },
  { name: 'cnn: conv1+conv2+features', kinds: ['cnn'], taps: tapsOf('conv1', 'conv2', 'features') },
];
const ALL_UNSUPERVISED: Candidate[] = [
  { name: 'ae: bottleneck', kinds: ['ae'], taps: tapsOf('bottleneck') },
  { name: 'ae: residual x − x̂', kinds: ['ae'], taps: tapsOf('residual') },
  { name: 'ae: bottleneck+residual', kinds: ['ae'], taps: tapsOf('bottleneck', 'residual') },
  { name: 'geo: features', kinds: ['geo'], taps: tapsOf('features') },
  { name: 'geo: conv2+features', kinds: ['geo'], taps: tapsOf('conv2', 'features') },
  {
    name: 'ae+geo: residual+features',
    kinds: ['ae', 'geo'],
    taps: [
      { network: 0, layer: 'residual' },
      { network: 1, layer: 'features' },
    ],
  },
];
const UNSUPERVISED = ALL_UNSUPERVISED.filter((c) => !KINDS || c.kinds.every((k) => KINDS.includes(k)));

const started = performance.now();
const startCpu = process.cpuUsage();
const clock = () => {
  const cpu = process.cpuUsage(startCpu);
  return `${((performance.now() - started) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU`;
};
const log = (line: string) => process.stderr.write(`[${clock()}] ${line}\n`);

const backend = await initRuntime({ quiet: true });
const digits = loadMnist();
console.log(
  `feature spaces for outlier detection, MNIST (${digits.n} digits), backend ${backend}${quick ? ', --quick' : ''}; ν = ${SVM.nu}, γ = scale`,
);

const indicesOf = (ds: Dataset, keep: (label: number) => boolean) =>
  Array.from({ length: ds.n }, (_, i) => i).filter((i) => keep(ds.labels![i]));

const EPOCHS: Record<FeatureNetworkKind, number> = {
  cnn: SETTINGS.cnnEpochs,
  mlp: SETTINGS.cnnEpochs,
  ae: SETTINGS.aeEpochs,
  geo: SETTINGS.geoEpochs,
};

/**
 * Decision values of `scored` by an SVM fitted on `fitted`, for every candidate; the networks
 * they need are trained on `fitted` unless given in `trained` (and then left to the caller).
 */
async function scoreCandidates(
  candidates: Candidate[],
  fitted: Dataset,
  scored: Dataset,
  trained: Partial<Record<FeatureNetworkKind, tf.LayersModel>> = {},
): Promise<Map<string, Float64Array>> {
  const models = { ...trained };
  const own: tf.LayersModel[] = [];
  for (const kind of new Set(candidates.flatMap((c) => c.kinds))) {
    if (models[kind]) continue;
    const network = await trainNetworkOfKind(kind, fitted, { epochs: EPOCHS[kind], progress: false });
    log(
      `  ${kind} trained on ${fitted.n} samples in ${network.trainSeconds.toFixed(0)} s (final loss ${network.finalLoss.toFixed(4)})`,
    );
    models[kind] = network.model;
    own.push(network.model);
  }
  const results = new Map<string, Float64Array>();
  for (const candidate of candidates) {
    const space =
      candidate.kinds.length === 0
        ? FeatureSpace.pixels(fitted.sampleShape)
        : FeatureSpace.ofModels(
            candidate.kinds.map((k) => models[k]!),
            candidate.taps,
            candidate.kinds,
          );
    try {
      const detector = await Detector.fit(space.extract(fitted.x), space.dim, space.blocks, SVM);
      results.set(candidate.name, await detector.decision(space.extract(scored.x), space.dim));
    } finally {
      space.dispose();
    }
  }
  for (const model of own) model.dispose();
  return results;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

if (PARTS.includes('planted')) {
  // 1. planted anomalies ---------------------------------------------------------------------------
  log(`planted anomalies: ${RATE * 100} % of digits ${SETTINGS.plantedDigits.join(', ')}`);
  const contaminated: Dataset = { ...digits, x: digits.x.slice() };
  const plantedSets = SETTINGS.plantedDigits.map((digit, k) => {
    const members = indicesOf(digits, (l) => l === digit);
    const donors = subset(
      digits,
      indicesOf(digits, (l) => l !== digit),
    ).x;
    const planted = plantAnomalies(subset(digits, members), { rate: RATE, seed: 100 + k, donors });
    members.forEach((i, m) => contaminated.x.set(planted.dataset.x.subarray(m * 784, (m + 1) * 784), i * 784));
    return { digit, planted };
  });

  const detection = new Map<string, PlantedDetection[]>();
  function recordDetection(name: string, decision: Float64Array, planted: ReturnType<typeof plantAnomalies>): void {
    const entry = plantedDetection(
      Float64Array.from(decision, (v) => -v),
      planted.types,
    );
    detection.set(name, [...(detection.get(name) ?? []), entry]);
  }

  // the CNN learns from the labels of all ten (contaminated) classes, once
  const cnn = await trainNetworkOfKind('cnn', contaminated, { epochs: SETTINGS.cnnEpochs, progress: false });
  log(
    `cnn trained on ${contaminated.n} digits in ${cnn.trainSeconds.toFixed(0)} s (held-out accuracy ${(100 * cnn.heldOutAccuracy!).toFixed(1)} %)`,
  );
  for (const { digit, planted } of plantedSets) {
    log(`digit ${digit}: ${planted.planted.length} of ${planted.dataset.n} planted`);
    const scores = await scoreCandidates([PIXELS, ...CNN, ...UNSUPERVISED], planted.dataset, planted.dataset, {
      cnn: cnn.model,
    });
    for (const [name, decision] of scores) recordDetection(name, decision, planted);
  }
  cnn.model.dispose();

  const order = [PIXELS, ...CNN, ...UNSUPERVISED].map((c) => c.name);
  console.log(
    `\nplanted anomalies (${RATE * 100} % of each class, ${ANOMALY_TYPES.length} types), digits ${SETTINGS.plantedDigits.join(', ')}: ROC AUC planted vs clean, share of planted among the top k (k = planted), means over the digits; AUC per type`,
  );
  console.log(
    textTable(
      ['feature space', 'AUC', 'top-k', ...SETTINGS.plantedDigits.map((d) => `AUC ${d}`), ...ANOMALY_TYPES],
      order.map((name) => {
        const rows = detection.get(name)!;
        return [
          name,
          mean(rows.map((r) => r.auc)).toFixed(3),
          mean(rows.map((r) => r.topShare)).toFixed(3),
          ...rows.map((r) => r.auc.toFixed(3)),
          ...ANOMALY_TYPES.map((t) => mean(rows.map((r) => r.byType.get(t)!)).toFixed(3)),
        ];
      }),
    ),
  );
}

if (PARTS.includes('one-class')) {
  // 2. one-class MNIST, held out -------------------------------------------------------------------
  log(`one-class MNIST: ${SETTINGS.train} training samples of one digit, scored on held-out samples`);
  const oneClass = new Map<string, number[]>();
  for (const digit of SETTINGS.oneClassDigits) {
    const random = mulberry32(1000 + digit);
    const own = shuffleInPlace(
      indicesOf(digits, (l) => l === digit),
      random,
    );
    const others = Array.from({ length: 10 }, (_, d) => d)
      .filter((d) => d !== digit)
      .flatMap((d) =>
        shuffleInPlace(
          indicesOf(digits, (l) => l === d),
          random,
        ).slice(0, SETTINGS.others),
      );
    const train = subset(digits, own.slice(0, SETTINGS.train));
    const test = subset(digits, [...own.slice(SETTINGS.train), ...others]);
    const isOther = Array.from({ length: test.n }, (_, i) => i >= own.length - SETTINGS.train);
    log(`digit ${digit}: ${train.n} training, ${test.n} held out (${others.length} other digits)`);
    const scores = await scoreCandidates([PIXELS, ...UNSUPERVISED], train, test);
    for (const [name, decision] of scores) {
      const auc = rocAuc(
        Float64Array.from(decision, (v) => -v),
        isOther,
      );
      oneClass.set(name, [...(oneClass.get(name) ?? []), auc]);
    }
  }
  console.log(
    `\none-class MNIST, held out: ROC AUC of the other digits against unseen samples of the trained digit (${SETTINGS.train} training samples, ${SETTINGS.others} of each other digit)`,
  );
  console.log(
    textTable(
      ['feature space', 'mean', ...SETTINGS.oneClassDigits.map(String)],
      [PIXELS, ...UNSUPERVISED].map((c) => {
        const aucs = oneClass.get(c.name)!;
        return [c.name, mean(aucs).toFixed(3), ...aucs.map((a) => a.toFixed(3))];
      }),
    ),
  );
}
console.log(`\ntotal: ${clock()}`);
