/**
 * GroupNorm (+ SiLU) forward and backward as plain loops over NHWC Float32Arrays.
 *
 * The `cpu` backend's kernels for the fused op, the `ort` backend's fallback for small tensors,
 * and an independent reference for the tests. Statistics accumulate in float64 (JS numbers).
 * Shapes: x, dy: [N, S, C] flattened (S positions: H·W for images); gamma, beta: [C].
 */

export interface GroupNormDims {
  readonly n: number;
  /** positions per item (H·W for images) */
  readonly hw: number;
  readonly c: number;
  readonly groups: number;
}

/** Per (batch item, group): mean and 1/sqrt(var + eps), each of length n·groups. */
export function groupStats(x: Float32Array, d: GroupNormDims, eps: number) {
  const { n, hw, c, groups } = d;
  const cg = c / groups;
  const mean = new Float64Array(n * groups);
  const rstd = new Float64Array(n * groups);
  const sum = new Float64Array(groups), sq = new Float64Array(groups);
  const m = hw * cg;
  for (let b = 0; b < n; b++) {
    sum.fill(0);
    sq.fill(0);
    let i = b * hw * c;
    for (let p = 0; p < hw; p++) {
      for (let g = 0; g < groups; g++) {
        let s = 0, q = 0;
        for (let j = 0; j < cg; j++, i++) {
          const v = x[i]!;
          s += v;
          q += v * v;
        }
        sum[g]! += s;
        sq[g]! += q;
      }
    }
    for (let g = 0; g < groups; g++) {
      const mu = sum[g]! / m;
      const variance = Math.max(0, sq[g]! / m - mu * mu);
      mean[b * groups + g] = mu;
      rstd[b * groups + g] = 1 / Math.sqrt(variance + eps);
    }
  }
  return { mean, rstd };
}

/** The normalised (+SiLU) output, and the per (item, group) mean and 1/std the gradient needs. */
export function groupNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  d: GroupNormDims,
  eps: number,
  silu: boolean,
): { y: Float32Array; mean: Float32Array; rstd: Float32Array } {
  const { n, hw, c, groups } = d;
  const cg = c / groups;
  const { mean, rstd } = groupStats(x, d, eps);
  const y = new Float32Array(x.length);
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++, i++) {
        const k = b * groups + ((ch / cg) | 0);
        const v = (x[i]! - mean[k]!) * rstd[k]! * gamma[ch]! + beta[ch]!;
        y[i] = silu ? v / (1 + Math.exp(-v)) : v;
      }
    }
  }
  return { y, mean: Float32Array.from(mean), rstd: Float32Array.from(rstd) };
}

/** Gradients of groupNorm(+SiLU) w.r.t. x, gamma and beta, given the forward's statistics. */
export function groupNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  d: GroupNormDims,
  silu: boolean,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const { n, hw, c, groups } = d;
  const cg = c / groups;
  const m = hw * cg;
  const dx = new Float32Array(x.length);
  const dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  const s1 = new Float64Array(n * groups), s2 = new Float64Array(n * groups);
  // pass 1: dxhat (kept in dx), parameter gradients, and the two group sums of dxhat
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++, i++) {
        const k = b * groups + ((ch / cg) | 0);
        const xhat = (x[i]! - mean[k]!) * rstd[k]!;
        let g = dy[i]!;
        if (silu) {
          const y = xhat * gamma[ch]! + beta[ch]!;
          const s = 1 / (1 + Math.exp(-y));
          g *= s * (1 + y * (1 - s));
        }
        dbeta[ch]! += g;
        dgamma[ch]! += g * xhat;
        const dxhat = g * gamma[ch]!;
        s1[k]! += dxhat;
        s2[k]! += dxhat * xhat;
        dx[i] = dxhat;
      }
    }
  }
  // pass 2: dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
  i = 0;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++, i++) {
        const k = b * groups + ((ch / cg) | 0);
        const xhat = (x[i]! - mean[k]!) * rstd[k]!;
        dx[i] = rstd[k]! * (dx[i]! - s1[k]! / m - xhat * (s2[k]! / m));
      }
    }
  }
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}
