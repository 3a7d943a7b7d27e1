import type { Command } from 'commander';
import { register as train } from './train.ts';
import { register as info } from './info.ts';
import { register as outliers } from './outliers.ts';
import { register as explain } from './explain.ts';
import { register as explainClassifier } from './explain-classifier.ts';
import { register as trainFeatures } from './train-features.ts';
import { register as evaluate } from './evaluate.ts';
import { register as clusters } from './clusters.ts';
import { register as report } from './report.ts';
import { register as demo } from './demo.ts';
import { register as benchmark } from './benchmark.ts';

/** Every CLI command: a function that adds itself to the program. */
export const commands: Array<(program: Command) => void> = [
  info,
  train,
  outliers,
  explain,
  explainClassifier,
  trainFeatures,
  evaluate,
  clusters,
  report,
  demo,
  benchmark,
];
