/**
 * The engine benchmark's training step (bench/engine.ts): DDPM ε-prediction on the fixed UNet of
 * bench/unet.ts, MSE, Adam 2e-4, on a fixed batch of smooth 32×32 images. Shared by the ort and
 * webgpu benches and the profiling scripts.
 */
import { tf } from "../src/tensor/tf.ts";
import { readScalar } from "../src/tensor/read.ts";
import { BENCH_UNET, createUNet } from "./unet.ts";

const T = 1000;

/** The bench's training step (DDPM ε-prediction, MSE, Adam 2e-4); exported for profiling scripts. */
export function trainer(batch: number) {
  const net = createUNet(BENCH_UNET, 1);
  const vars = [...net.params.values()];
  const opt = tf.train.adam(2e-4);
  // a fixed batch of smooth images: speed does not depend on the data
  const x0 = tf.tidy(() =>
    tf.image.resizeBilinear(tf.randomUniform([batch, 8, 8, 1], -1, 1, "float32", 7), [32, 32])
  ) as tf.Tensor4D;
  const betas = tf.linspace(1e-4, 0.02, T);
  const alphaBar = tf.tidy(() => tf.exp(tf.cumsum(tf.log(tf.sub(1, betas)))));
  let seed = 100;
  const minimize = (): tf.Scalar => {
    const cost = opt.minimize(
      () => {
        const t = tf.randomUniform([batch], 0, T, "int32", seed++);
        const noise = tf.randomNormal(x0.shape, 0, 1, "float32", seed++);
        const ab = tf.gather(alphaBar, t).reshape([batch, 1, 1, 1]);
        const xt = x0.mul(tf.sqrt(ab)).add(noise.mul(tf.sqrt(tf.sub(1, ab)))) as tf.Tensor4D;
        const pred = net.apply(xt, t.toFloat() as tf.Tensor1D);
        return pred.sub(noise).square().mean() as tf.Scalar;
      },
      true,
      vars,
    );
    return cost!;
  };
  const step = (): number => {
    const cost = minimize();
    const loss = cost.dataSync()[0]!; // ort/cpu: the values are already in memory
    cost.dispose();
    return loss;
  };
  /** The same step, read without blocking: what a GPU backend needs (src/tensor/read.ts). */
  const stepAsync = async (): Promise<number> => {
    const cost = minimize();
    try {
      return await readScalar(cost);
    } finally {
      cost.dispose();
    }
  };
  const dispose = () => {
    tf.dispose([x0, betas, alphaBar, ...vars]);
    opt.dispose();
  };
  return { net, step, stepAsync, dispose };
}
