/**
 * `oc-explain train-features`: the feature network alone, trained as a classifier and written as a
 * tfjs layers model (model.json + weights.bin) in a folder of its own, built aside and renamed.
 */
import { dataSpecPaths, loadDataset, parseDataSpec } from '../data/data-spec.ts';
import type { NetworkKind } from '../features/feature-network.ts';
import { saveModel, type SavedModelFiles } from '../features/model-io.ts';
import { trainFeatureNetwork, type TrainHistory } from '../features/train-network.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { SILENT_PROGRESS, type Progress } from './progress.ts';

export interface TrainFeaturesOptions {
  data: string;
  network: NetworkKind;
  epochs?: number;
  heldOutFraction?: number;
  seed?: number;
  /** the folder to write */
  out: string;
  progress?: Progress;
}

export interface TrainedFeatures {
  history: TrainHistory;
  heldOutAccuracy: number;
  heldOutSize: number;
  n: number;
  /** paths inside `out` once it is in place */
  files: SavedModelFiles;
}

export async function trainFeaturesToFolder(o: TrainFeaturesOptions): Promise<TrainedFeatures> {
  const progress = o.progress ?? SILENT_PROGRESS;
  const spec = parseDataSpec(o.data);
  return writeDirAtomic(
    o.out,
    'feature-network',
    async (dir) => {
      progress.stage(`loading ${o.data}`);
      const ds = loadDataset(spec);
      progress.stage(`training the ${o.network.toUpperCase()} feature network on ${ds.n} samples`);
      const trained = await trainFeatureNetwork(ds, { ...o, progress: progress.terminal });
      try {
        const saved = await saveModel(trained.model, dir);
        const files = {
          ...saved,
          modelJsonPath: saved.modelJsonPath.replace(dir, o.out),
          weightsPath: saved.weightsPath.replace(dir, o.out),
        };
        return { ...trained, n: ds.n, files };
      } finally {
        trained.model.dispose();
      }
    },
    { inputs: dataSpecPaths(spec) },
  );
}
