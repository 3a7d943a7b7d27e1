/** A data-set sample as the reports show it. */
import { sampleSize } from '../data/dataset.ts';
import type { SampleImage } from '../report/report-data.ts';
import type { RunExplainer } from './run-explainer.ts';

/** A data-set sample as the report shows it (vectors as a one-row image). */
export function sampleImage(explainer: RunExplainer, index: number): SampleImage {
  const { sampleShape } = explainer.run.dataset;
  const pixels = explainer.inputs([index]);
  if (sampleShape.length === 3)
    return { height: sampleShape[0], width: sampleShape[1], channels: sampleShape[2], pixels };
  return { height: 1, width: sampleSize(explainer.run.dataset), channels: 1, pixels };
}
