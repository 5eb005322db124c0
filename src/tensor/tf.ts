/**
 * The one place the diffusion library imports TensorFlow.js from.
 *
 * `@tensorflow/tfjs-core` alone registers no gradients ("gradient function not found for Mean"),
 * and its ESM files cannot be imported one by one under Deno (extension-less specifiers), so we
 * take the full `@tensorflow/tfjs` bundle, which registers every gradient and the plain JS `cpu`
 * backend that the `ort` engine builds on. Import `tf` from here, never from the npm package.
 */
import * as tf from "@tensorflow/tfjs";

// PROD silences tfjs's "install the node backend" banner (diffrun picks its backend itself, see
// src/engine/backend.ts) and skips debug-only checks.
tf.env().set("PROD", true);

export { tf };
