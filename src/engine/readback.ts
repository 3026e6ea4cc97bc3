import * as tf from '@tensorflow/tfjs';

/**
 * The values of a tensor built from intermediates, read after their scope has closed.
 *
 * Never return `dataSync()`'s array from `tf.tidy`: tidy looks for tensors to keep in whatever the
 * callback returns and walks a typed array element by element (`for … in` over every index, ~50 ms
 * per 256k floats). The matmul benchmark paid that on every iteration (1.5 GFLOP/s where the
 * backend does 20+), and a prompt's last-row readback paid it once per vocabulary row. Here tidy
 * returns the tensor, which it keeps without walking anything, and the read happens outside.
 */
export function readback(build: () => tf.Tensor): tf.TypedArray {
  const tensor = tf.tidy(build);
  try {
    return tensor.dataSync();
  } finally {
    tensor.dispose();
  }
}
