/**
 * The interface every diffusion backbone in src/models/ (UNet, ViT) offers to training and
 * sampling code: a forward pass `(x_t, t, class labels?) → output` over a named parameter store.
 * What the output means (ε, x_0 or v) is the diffusion code's business, not the model's.
 */
import type { tf } from "../tensor/tf.ts";
import type { Hooks } from "./hooks.ts";
import type { ParamStore } from "./params.ts";

export interface ForwardOptions {
  /** Adapters and activation readers (UNet only; see hooks.ts). */
  readonly hooks?: Hooks;
  /**
   * Condition tokens [B, M, contextDim] for cross-attention, replacing those looked up from the
   * class labels (e.g. a learned new-concept token). UNet with a transformer block only.
   */
  readonly context?: tf.Tensor;
}

export interface Denoiser<C> {
  readonly kind: "unet" | "vit";
  readonly config: C;
  readonly params: ParamStore;
  /**
   * x [B, H, W, C] (NHWC, float32), t [B] float timestep index in 0..T-1, classLabels [B] int32 in
   * 0..numClasses (numClasses is the null class of classifier-free guidance; omit the labels for
   * an unconditional pass) → [B, H, W, C].
   */
  forward(
    x: tf.Tensor4D,
    t: tf.Tensor1D,
    classLabels?: tf.Tensor1D,
    options?: ForwardOptions,
  ): tf.Tensor4D;
  /** The same architecture over a copy of the parameters (teacher → student). */
  clone(): Denoiser<C>;
  /** Number of scalar parameters. */
  parameterCount(): number;
}
