/** Named typed-array tensors: what checkpoints, optimiser states and model artifacts hold. */
export type TensorData = Float32Array | Int32Array | Uint8Array;
export interface StoredTensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
}
export type TensorMap = Record<string, StoredTensor>;
