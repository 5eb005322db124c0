/**
 * The `ort` tfjs backend: tfjs's CPU backend storage and every one of its JS kernels, with the
 * heavy kernels replaced by synchronous onnxruntime calls (see kernels/).
 *
 * Tensors stay Float32Arrays in MathBackendCPU's data store, so any kernel that has no ORT
 * version simply runs the JS one on the same storage, and `dataSync()` costs nothing.
 * This module registers; it does not select (backend.ts does) and it does not load the native
 * library (binding.ts does, before registration).
 */
import { tf } from "../../tensor/tf.ts";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { registerCpuFixes } from "../cpuFixes.ts";
import { clearPool, markEscaped, releaseBuffer } from "./bufferPool.ts";
import { registerGroupNormKernels } from "../groupNorm.ts";
import { ortKernelConfigs } from "./kernels/index.ts";

export const ORT_BACKEND_NAME = "ort";

type Values = tf.backend_util.BackendValues;

/**
 * The CPU backend plus bookkeeping for bufferPool.ts: how many live data entries use each
 * ArrayBuffer (tfjs hands out subarray views, e.g. for contiguous slices), and which buffers
 * user code has seen.
 */
export class OrtBackend extends MathBackendCPU {
  private readonly users = new Map<ArrayBufferLike, number>();

  constructor() {
    super();
    // the cpu backend's one-time "install tfjs-node to speed things up" notice misleads here
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: Values, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.use(values, 1);
    return id;
  }

  override move(
    dataId: tf.DataId,
    values: Values,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.use(values, 1);
  }

  override readSync(dataId: tf.DataId): tf.BackendValues {
    const values = this.data.get(dataId)?.values;
    if (ArrayBuffer.isView(values)) markEscaped(values.buffer);
    return super.readSync(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.use(values, -1);
    return released;
  }

  override dispose(): void {
    super.dispose();
    this.users.clear();
    clearPool();
  }

  private use(values: Values | undefined, delta: number): void {
    if (!ArrayBuffer.isView(values)) return;
    const buf = values.buffer;
    const n = (this.users.get(buf) ?? 0) + delta;
    if (n > 0) {
      this.users.set(buf, n);
    } else {
      this.users.delete(buf);
      releaseBuffer(buf);
    }
  }
}

let registered = false;

/** Registers the `ort` backend and its kernels; idempotent. The binding must be loaded. */
export function registerOrtBackend(): void {
  if (registered) return;
  registered = true;
  registerCpuFixes();
  registerGroupNormKernels();
  tf.registerBackend(ORT_BACKEND_NAME, () => new OrtBackend(), 0);
  // every cpu kernel first (they work unchanged on the subclass) ...
  for (const k of tf.getKernelsForBackend("cpu")) {
    tf.registerKernel({ ...k, backendName: ORT_BACKEND_NAME });
  }
  // ... then the ORT ones on top, replacing their JS namesakes
  for (const k of ortKernelConfigs()) {
    if (tf.getKernel(k.kernelName, ORT_BACKEND_NAME) !== undefined) {
      tf.unregisterKernel(k.kernelName, ORT_BACKEND_NAME);
    }
    tf.registerKernel(k);
  }
}
