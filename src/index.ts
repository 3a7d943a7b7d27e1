/**
 * oc-explain's public API: what `import … from 'oc-explain'` gives. Lowest layer first, as in
 * the source folders (see the README's library map).
 */
export { UserError, isUserError } from './errors.ts';

// runtime: the tfjs backend and the worker pools
export { tf } from './runtime/tf.ts';
export { initRuntime, activeBackend, BACKENDS, type BackendName } from './runtime/runtime.ts';

// data
export { type Dataset, sampleSize, isImageSet } from './data/dataset.ts';
export { parseDataSpec, loadDataset, DATA_SPEC_FORMS, type DataSpec } from './data/data-spec.ts';
export { loadMnist, type MnistOptions } from './data/mnist.ts';
export { loadCsv, type CsvOptions } from './data/csv.ts';
export { loadPngFolder } from './data/png-folder.ts';
export { trainTestSplit, subset, shuffleIndices, takePerClass } from './data/split.ts';
export { mulberry32 } from './data/random.ts';

// features
export {
  buildFeatureNetwork,
  NETWORK_KINDS,
  type NetworkKind,
  type FeatureNetworkOptions,
} from './features/feature-network.ts';
export {
  trainFeatureNetwork,
  trainNetwork,
  type TrainOptions,
  type TrainedFeatureNetwork,
} from './features/train-network.ts';
export {
  pixelExtractor,
  networkExtractor,
  modelExtractor,
  type FeatureExtractor,
  type LayerExtractorOptions,
} from './features/extractor.ts';
export { ParallelExtractor, type ParallelExtractorOptions } from './features/parallel-extractor.ts';
export { saveModel, loadModel } from './features/model-io.ts';

// one-class SVM
export * from './ocsvm/index.ts';
export { ParallelScorer } from './ocsvm/parallel-scorer.ts';
export { SplitKernelRows, type SplitKernelRowsOptions } from './ocsvm/split-kernel-rows.ts';

// explanation engine
export {
  ExplainableNetwork,
  type ExplainableLayer,
  type LayerKind,
  type RelevanceContext,
  type Tensor,
} from './explain/network.ts';
export * as rules from './explain/rules.ts';
export { type Rule, type RulePass, type RuleTerm } from './explain/rules.ts';
export {
  assignRules,
  uniformComposite,
  parseComposite,
  COMPOSITE_NAMES,
  type Composite,
  type CompositeOptions,
} from './explain/composites.ts';
export { propagate, explainLRP, type ExplainLRPOptions, type LRPResult, type Target } from './explain/lrp.ts';
export {
  explainByGradient,
  GRADIENT_METHOD_NAMES,
  type GradientMethodName,
  type GradientOptions,
  type GradientExplanation,
} from './explain/gradient-methods.ts';
export { fromLayersModel, SUPPORTED_LAYER_CLASSES } from './explain/from-layers-model.ts';
export {
  explainClassifier,
  parseClassifierMethods,
  type ClassifierMethod,
  type ClassifierExplanation,
} from './explain/classifier-methods.ts';
export { LRPPool } from './explain/lrp-pool.ts';
export { renderRelevance, renderInput } from './explain/heatmap.ts';
export { writeRelevanceBatch } from './explain/relevance-output.ts';

// neuralized one-class SVM, OC-DTD and the outlier baselines, NEON
export { neuralize, outliernessThreshold, type NeuralizedOcsvm, type NeuralizeOptions } from './neuralize/neuralize.ts';
export { ocdtd, type OcdtdOptions, type OcdtdResult } from './neuralize/ocdtd.ts';
export { OcdtdPool } from './neuralize/ocdtd-pool.ts';
export {
  explainOutliers,
  outlierRelevance,
  OUTLIER_METHOD_NAMES,
  type OutlierMethodName,
  type OutlierExplanation,
} from './neuralize/outlier-methods.ts';
export { neuralizeKMeans, fitKMeans, neon, type NeonResult } from './neuralize/neon.ts';
export { compressSupportVectors, type CompressionResult } from './neuralize/support-compression.ts';

// metrics
export {
  pixelFlipping,
  normalizedArea,
  areaTable,
  type PixelFlippingOptions,
  type PixelFlippingResult,
  type FlipReference,
} from './metrics/pixel-flipping.ts';
export { rocAuc } from './metrics/roc-auc.ts';

// report
export { renderReportHtml, writeReport, type ReportOptions } from './report/report.ts';
export { type ReportData } from './report/report-data.ts';
