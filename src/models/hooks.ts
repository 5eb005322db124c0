/**
 * Named activation positions and forward hooks, for the adapter study (docs/methods.md#adapters).
 *
 * A UNet is a sequence of *sites*: a residual block, optionally followed by a transformer block
 * (as in Stable Diffusion's down/up blocks). Inside one site the forward pass visits the
 * positions below in this order (`POSITIONS`):
 *
 *   Res_in     residual block input                                   [B, H, W, Cin]
 *   Res_out    residual block output (after its skip add)             [B, H, W, C]
 *   SA_in      token stream entering self-attention (before its norm) [B, H·W, C]
 *   SA_out     raw self-attention output, before the residual add     [B, H·W, C]
 *   CA_in      token stream after the SA add, entering cross-attention[B, H·W, C]
 *   CA_c       condition tokens that cross-attention attends to       [B, M, Dc]
 *   CA_out     raw cross-attention output, before the residual add    [B, H·W, C]
 *   FFN_in     token stream after the CA add, entering the FFN        [B, H·W, C]
 *   FFN_out    raw FFN output, before the residual add                [B, H·W, C]
 *   Trans_out  token stream after the FFN add (before proj_out)       [B, H·W, C]
 *
 * Every position can be read (10 input positions). Adding at a raw sub-layer output (SA_out,
 * CA_out, FFN_out) is the same sum as adding at the next stream position (CA_in, FFN_in,
 * Trans_out), so there are 7 output positions (`OUTPUT_POSITIONS`).
 *
 * An `Adapter` reads its input position and adds `scale · fn(read)` at its output position, in
 * every site that has both (a residual-only site has no transformer positions; a forward without
 * class labels has no cross-attention, hence no CA_c / CA_out). The read value is the activation
 * before anything is added at that position. `checkAdapterPair` states which pairs are valid.
 */
import { tf } from "../tensor/tf.ts";

/** Positions in forward order within a site. All are input positions. */
export const POSITIONS = [
  "Res_in",
  "Res_out",
  "SA_in",
  "SA_out",
  "CA_in",
  "CA_c",
  "CA_out",
  "FFN_in",
  "FFN_out",
  "Trans_out",
] as const;
export type Position = (typeof POSITIONS)[number];

/** The 10 input positions, in forward order. */
export const INPUT_POSITIONS: readonly Position[] = POSITIONS;

/** The 7 output positions, in forward order. */
export const OUTPUT_POSITIONS = [
  "Res_in",
  "Res_out",
  "SA_in",
  "CA_in",
  "CA_c",
  "FFN_in",
  "Trans_out",
] as const;
export type OutputPosition = (typeof OUTPUT_POSITIONS)[number];

/** Index of each position in forward order. */
export const POSITION_ORDER: Readonly<Record<Position, number>> = Object.fromEntries(
  POSITIONS.map((p, i) => [p, i]),
) as Record<Position, number>;

/** Raw sub-layer outputs and the stream position an addition there is equivalent to. */
const EQUIVALENT_OUTPUT: Partial<Record<Position, OutputPosition>> = {
  SA_out: "CA_in",
  CA_out: "FFN_in",
  FFN_out: "Trans_out",
};

/**
 * Why (input, output) is not a valid adapter placement, or null if it is. Valid: output is an
 * output position at or after the input in forward order; CA_c pairs only with itself.
 */
export const checkAdapterPair = (input: Position, output: Position): string | null => {
  if (!(POSITIONS as readonly string[]).includes(input)) return `unknown input position "${input}"`;
  if (!(OUTPUT_POSITIONS as readonly string[]).includes(output)) {
    const eq = EQUIVALENT_OUTPUT[output];
    return eq === undefined
      ? `unknown output position "${output}"`
      : `${output} is not an output position (adding there is the same as adding at ${eq})`;
  }
  if ((input === "CA_c") !== (output === "CA_c")) {
    return `CA_c pairs only with itself (got ${input} → ${output})`;
  }
  if (POSITION_ORDER[output] < POSITION_ORDER[input]) {
    return `output position ${output} comes before input position ${input}`;
  }
  return null;
};

/** What a site looks like, so adapter code can size its weights per site before a forward. */
export interface HookSite {
  /** Unique within the model, e.g. "down.1.0", "mid.0", "up.2.1". */
  readonly name: string;
  /** UNet level (0 = full resolution). */
  readonly level: number;
  /** Downsampling factor of this site's feature maps relative to the input image. */
  readonly factor: number;
  /** Channels at Res_in (more than at Res_out in the up path, where the skip is concatenated). */
  readonly resIn: number;
  /** Channels at Res_out and, if there is a transformer, at every token-stream position. */
  readonly resOut: number;
  /** The transformer block after the residual block, if any. */
  readonly transformer: null | {
    readonly dim: number; // token width (= resOut)
    readonly contextDim: number; // width of the CA_c tokens
    readonly contextTokens: number; // M, condition tokens per sample
  };
}

/** An adapter placement: read `input`, add `scale · fn(read)` at `output`. */
export interface Adapter {
  readonly input: Position;
  readonly output: OutputPosition;
  /**
   * Maps the activation read at `input` to a tensor with as many elements as the activation at
   * `output` (it is reshaped to it, so a conv adapter may return [B, H, W, C] for a token position).
   */
  readonly fn: (activation: tf.Tensor, site: HookSite) => tf.Tensor;
  /** Multiplies fn's output. Default 1. */
  readonly scale?: number;
  /** Restricts the adapter to some sites. Default: every site that has both positions. */
  readonly where?: (site: HookSite) => boolean;
}

/** Optional hooks of a forward pass. */
export interface Hooks {
  readonly adapters?: readonly Adapter[];
  /**
   * Called with every activation at every position of every site, before additions at that
   * position. The tensor belongs to the forward pass: `tf.keep` or copy it to hold on to it
   * past an enclosing `tf.tidy`.
   */
  readonly onActivation?: (site: HookSite, position: Position, activation: tf.Tensor) => void;
}

/** Throws on the first invalid adapter placement. */
export const validateHooks = (hooks: Hooks | undefined): void => {
  for (const a of hooks?.adapters ?? []) {
    const why = checkAdapterPair(a.input, a.output);
    if (why !== null) throw new Error(`invalid adapter ${a.input} → ${a.output}: ${why}`);
  }
};

/**
 * The hook state of one site during one forward pass. Model code calls `at(position, x)` at each
 * position in forward order and continues with the returned tensor.
 */
export class SiteHooks {
  readonly #captured = new Map<Position, tf.Tensor>();
  readonly #adapters: readonly Adapter[];

  constructor(readonly hooks: Hooks | undefined, readonly site: HookSite) {
    this.#adapters = (hooks?.adapters ?? []).filter((a) => a.where === undefined || a.where(site));
  }

  at(position: Position, x: tf.Tensor): tf.Tensor {
    if (this.hooks === undefined) return x;
    this.hooks.onActivation?.(this.site, position, x);
    let y = x;
    for (const a of this.#adapters) if (a.input === position) this.#captured.set(position, x);
    for (const a of this.#adapters) {
      if (a.output !== position) continue;
      const read = this.#captured.get(a.input);
      if (read === undefined) continue; // the input position does not exist in this site / pass
      const out = a.fn(read, this.site);
      if (out.size !== y.size) {
        throw new Error(
          `adapter ${a.input} → ${a.output} at site ${this.site.name}: output has shape ` +
            `[${out.shape}] but the activation at ${position} has shape [${y.shape}]`,
        );
      }
      const add = tf.reshape(out, y.shape);
      y = tf.add(y, a.scale === undefined || a.scale === 1 ? add : tf.mul(add, a.scale));
    }
    return y;
  }
}
