/**
 * oc-explain's public API: what `import … from 'oc-explain'` gives, lowest layer first as in the
 * source folders (see the README's library map). Start with {@link initRuntime}, then fit a
 * {@link OneClassSVM} on features (pixels, or a feature network's layer), {@link neuralize} it and
 * explain its outlierness o(x) with {@link ocdtd} or {@link explainOutliers}; classifiers are
 * explained with {@link explainLRP}, {@link explainByGradient} or {@link explainClassifier}, and
 * every explanation can be scored by {@link pixelFlipping}. The formulas: docs/methods.md.
 */
export { UserError, isUserError } from './errors.ts';

// runtime: the tfjs backend and the worker pools
export { tf } from './runtime/tf.ts';
export { initRuntime, activeBackend, BACKENDS, type BackendName } from './runtime/runtime.ts';

// data
export { type Dataset, type PlantedTruth, sampleSize, isImageSet, mapShape, sampleName } from './data/dataset.ts';
export { parseDataSpec, loadDataset, openSamples, DATA_SPEC_FORMS, type DataSpec } from './data/data-spec.ts';
export { batchesOf, pickSamples, datasetSource, type SampleSource } from './data/sample-source.ts';
export { loadMnist, type MnistOptions } from './data/mnist.ts';
export { loadCsv, type CsvOptions } from './data/csv.ts';
export { loadPngFolder } from './data/png-folder.ts';
export { trainTestSplit, subset, shuffleIndices, takePerClass, stratifiedSubsample } from './data/split.ts';
export { mulberry32 } from './data/random.ts';
export {
  plantAnomalies,
  ANOMALY_TYPES,
  type AnomalyType,
  type PlantOptions,
  type PlantedAnomalies,
} from './data/planted-anomalies.ts';
export { withPlantedAnomalies } from './data/planted-data.ts';
export { loadMaskFolder, parseMaskSpec, type SampleMasks } from './data/mask-folder.ts';

// features
export {
  buildFeatureNetwork,
  FEATURES_LAYER,
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
export {
  buildAutoencoder,
  trainAutoencoder,
  BOTTLENECK_LAYER,
  type AutoencoderOptions,
} from './features/autoencoder.ts';
export {
  buildTransformationNetwork,
  trainTransformationNetwork,
  geometricTransforms,
} from './features/transformation-network.ts';
export {
  trainNetworkOfKind,
  FEATURE_NETWORK_KINDS,
  type FeatureNetworkKind,
  type TrainedNetwork,
} from './features/network-kinds.ts';
export { Standardizer, type FeatureBlock } from './features/standardizer.ts';
export { type TrainHistory } from './features/fit-loop.ts';
export { saveModel, loadModel } from './features/model-io.ts';

// one-class SVM (the solver and kernel blocks stay internal)
export { OneClassSVM, type OneClassSVMOptions, type FittedState } from './ocsvm/one-class-svm.ts';
export { KERNELS, resolveGamma, type GammaOption, type KernelName } from './ocsvm/kernel.ts';
export { type Matrix, type MatrixInput } from './ocsvm/matrix.ts';
export { MODEL_FORMAT, MODEL_VERSION, type ModelJSON } from './ocsvm/model-file.ts';
export { ParallelScorer } from './ocsvm/parallel-scorer.ts';

// explanation engine
export {
  ExplainableNetwork,
  NETWORK_INPUT,
  isJoin,
  type ExplainableLayer,
  type JoinLayer,
  type NetworkLayer,
  type LayerKind,
  type RelevanceContext,
  type Tensor,
} from './explain/network.ts';
export * as rules from './explain/rules.ts';
export { featureMap, forwardRows, tapSizes, RESIDUAL_TAP, type Tap } from './explain/feature-map.ts';
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
  sumChannels,
  GRADIENT_METHOD_NAMES,
  type ScalarFunction,
  type GradientMethodName,
  type GradientOptions,
  type GradientExplanation,
} from './explain/gradient-methods.ts';
export { compositeOptionsForData, disposeBounds } from './explain/data-bounds.ts';
export { fromLayersModel, SUPPORTED_LAYER_CLASSES } from './explain/from-layers-model.ts';
export { readOnnxNetwork, fromOnnxModel, SUPPORTED_ONNX_OPERATORS } from './explain/onnx/from-onnx.ts';
export { decodeOnnx, readOnnxFile, type OnnxModel } from './explain/onnx/onnx-file.ts';
export {
  explainClassifier,
  explainClassifierSamples,
  predictClasses,
  parseClassifierMethods,
  type ClassifierMethod,
  type ClassifierExplanation,
  type ClassifierSamplesOptions,
  type ClassifierSamplesExplanation,
} from './explain/classifier-methods.ts';
export { LRPPool } from './explain/lrp-pool.ts';
export { renderRelevance, renderInput } from './explain/heatmap.ts';
export { writeRelevanceBatch } from './explain/relevance-output.ts';

// neuralized one-class SVM, OC-DTD and the outlier baselines, NEON
export {
  neuralize,
  outliernessThreshold,
  type NeuralizedOcsvm,
  type NeuralizeOptions,
  type PoolingKind,
} from './neuralize/neuralize.ts';
export { type OcsvmLike } from './neuralize/ocsvm-like.ts';
export { ocdtd, type OcdtdOptions, type OcdtdResult } from './neuralize/ocdtd.ts';
export { OcdtdPool, type OcdtdPoolOptions, type PoolVariant } from './neuralize/ocdtd-pool.ts';
export {
  parseOcdtdVariant,
  variantLabel,
  OCDTD_VARIANT_NAMES,
  OCDTD_VARIANT_DESCRIPTIONS,
  DEFAULT_OCDTD_VARIANT,
  DEEP_PATHS,
  type OcdtdVariant,
  type OcdtdVariantName,
  type DeepPath,
} from './neuralize/ocdtd-variant-names.ts';
export { variantLayers, variantNetwork, type VariantSources, type VariantNetwork } from './neuralize/ocdtd-variants.ts';
export {
  explainOutliers,
  outlierRelevance,
  OUTLIER_METHOD_NAMES,
  type OutlierMethodName,
  type OutlierExplanation,
  type OutlierExplanationContext,
} from './neuralize/outlier-methods.ts';
export { NearestInlier } from './neuralize/nearest-inlier.ts';
export { neuralizeKMeans, fitKMeans, neon, type NeonResult } from './neuralize/neon.ts';
export { compressSupportVectors, type CompressionResult } from './neuralize/support-compression.ts';

// metrics
export {
  pixelFlipping,
  normalizedArea,
  areaTable,
  FLIP_NORMALIZATIONS,
  type FlipNormalization,
  type PixelFlippingOptions,
  type PixelFlippingResult,
  type FlipReference,
} from './metrics/pixel-flipping.ts';
export { rocAuc } from './metrics/roc-auc.ts';
export { pixelAuc, topMaskPrecision, localisationScores, type LocalisationScores } from './metrics/localization.ts';
export { gaussianBlur } from './metrics/blur.ts';

// report
export { renderReportHtml, writeReport, type ReportOptions } from './report/report.ts';
export {
  type ReportData,
  type RunInfo,
  type OutlierRow,
  type PlantedSection,
  type ClassifierSection,
  type ClassifierRow,
  type ClusterExplanation,
  type ClusterSample,
  type SampleImage,
  type MethodMap,
} from './report/report-data.ts';

// run: a feature space (layers of one or more networks, or pixels) and its outlier detectors
export { FeatureSpace, DEFAULT_TAPS, type NetworkTap } from './run/feature-space.ts';
export { Detector, type SvmSettings, type DetectorNetwork } from './run/detector.ts';
