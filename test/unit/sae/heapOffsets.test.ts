// Heap offsets of the sparse kernels' views past 2 GiB: the tfjs wasm heap grows to 4 GiB, and a
// real-size SAE (d_in 2304, 32768 latents, batch 4096) places tensors beyond 2 GiB. The ArrayBuffer
// here is allocated lazily by the OS (never written), so the test costs no real memory.

import { describe, expect, it } from 'vitest';
import { at } from '../../../src/engine/sae/sparse/heap';

describe('heap offsets', () => {
  it('counts elements of a view that starts past 2 GiB as a positive offset', () => {
    const buffer = new ArrayBuffer(2 ** 31 + 64);
    expect(at(new Float32Array(buffer, 2 ** 31 + 16, 4))).toBe(2 ** 29 + 4);
    expect(at(new Int32Array(buffer, 2 ** 31 - 4, 1))).toBe(2 ** 29 - 1);
    expect(at(new Float32Array(buffer, 0, 1))).toBe(0);
  });
});
