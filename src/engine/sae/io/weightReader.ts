// Reading an SAE's tensors out of a safetensors file: each must be there, have the shape the
// config implies and hold no NaN/±Inf; F16/BF16/F64 widen or round to f32 (SafetensorsFile).
// Shapes are compared from the header before any data is read.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { firstNonFiniteF32, nonFiniteMessage } from '../../formats/finite';
import type { SafetensorsFile } from '../../formats/safetensors';

/** The stored shape of tensor `name`, or a refusal naming the file and the tensor. */
export function storedShape(file: SafetensorsFile, name: string, what: string): number[] {
  if (!file.has(name)) throw new FeaturescopeError('bad_file', `${file.path}: tensor ${name} is missing (${what})`, name);
  return [...file.entry(name).shape];
}

/** Tensor `name` as f32 of exactly `shape` (`implied` says where that shape comes from). */
export function readTensor(file: SafetensorsFile, name: string, shape: number[], implied: string): tf.Tensor {
  const got = storedShape(file, name, `${implied} implies [${shape.join(', ')}]`);
  if (got.length !== shape.length || got.some((s, i) => s !== shape[i])) {
    throw new FeaturescopeError('bad_file', `${file.path}: ${name} has shape [${got.join(', ')}], ${implied} implies [${shape.join(', ')}]`, name);
  }
  const data = file.readFloat32(name);
  const bad = firstNonFiniteF32(data);
  if (bad >= 0) throw new FeaturescopeError('bad_file', `${file.path}: ${nonFiniteMessage(`tensor ${name}`, bad, shape, data[bad]!)}`, name);
  return tf.tensor(data, shape);
}
