/**
 * The list of kernels the `ort` backend runs on onnxruntime (each falls back to JS by itself for
 * small tensors and unsupported attributes).
 */
import type { tf } from "../../../tensor/tf.ts";
import {
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  conv2DConfig,
  fusedConv2DConfig,
} from "./conv.ts";
import { addNConfig, binaryConfigs, unaryConfigs } from "./elementwise.ts";
import { groupNormGradOrtConfig, groupNormOrtConfig } from "./groupNorm.ts";
import { batchMatMulConfig, fusedMatMulConfig } from "./matmul.ts";
import { reduceConfigs, softmaxConfig } from "./reduce.ts";
import { resizeNearestNeighborConfig, resizeNearestNeighborGradConfig } from "./resize.ts";
import {
  concatConfig,
  padV2Config,
  sliceConfig,
  splitVConfig,
  tileConfig,
  transposeConfig,
} from "./shape.ts";

export function ortKernelConfigs(): tf.KernelConfig[] {
  return [
    conv2DConfig,
    fusedConv2DConfig,
    conv2DBackpropInputConfig,
    conv2DBackpropFilterConfig,
    batchMatMulConfig,
    fusedMatMulConfig,
    ...binaryConfigs,
    ...unaryConfigs,
    addNConfig,
    ...reduceConfigs,
    softmaxConfig,
    transposeConfig,
    concatConfig,
    splitVConfig,
    sliceConfig,
    tileConfig,
    padV2Config,
    resizeNearestNeighborConfig,
    resizeNearestNeighborGradConfig,
    groupNormOrtConfig,
    groupNormGradOrtConfig,
  ];
}
