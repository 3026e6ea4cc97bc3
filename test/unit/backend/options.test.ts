// How the caller's options and the FEATURESCOPE_* environment combine, and what is refused.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { resolveBackendOptions } from '../../../src/engine/backend/options';
import { errorOf as rejection } from '../error-of';

describe('resolveBackendOptions', () => {
  it('defaults to auto on every core, with the cpu fallback refused', () => {
    expect(resolveBackendOptions({}, {})).toEqual({
      prefer: 'auto',
      threads: availableParallelism(),
      threadsSource: 'cores',
      allowCpuFallback: false,
    });
  });

  it('takes the caller options when the environment is silent', () => {
    expect(resolveBackendOptions({ prefer: 'wasm', threads: 3 }, {})).toMatchObject({ prefer: 'wasm', threads: 3, threadsSource: 'option' });
  });

  it('lets FEATURESCOPE_BACKEND and FEATURESCOPE_THREADS override the caller', () => {
    const env = { FEATURESCOPE_BACKEND: ' CPU ', FEATURESCOPE_THREADS: '5', FEATURESCOPE_ALLOW_CPU: '1' };
    expect(resolveBackendOptions({ prefer: 'wasm', threads: 2 }, env)).toEqual({
      prefer: 'cpu',
      threads: 5,
      threadsSource: 'FEATURESCOPE_THREADS',
      allowCpuFallback: true,
    });
  });

  it('treats empty variables as unset and only "1" as allowing cpu', () => {
    expect(resolveBackendOptions({ threads: 2 }, { FEATURESCOPE_BACKEND: '', FEATURESCOPE_THREADS: ' ', FEATURESCOPE_ALLOW_CPU: 'yes' })).toMatchObject({
      prefer: 'auto',
      threads: 2,
      allowCpuFallback: false,
    });
  });

  it('refuses an unknown backend name, naming the variable', () => {
    const err = rejection(() => resolveBackendOptions({}, { FEATURESCOPE_BACKEND: 'webgpu' }));
    expect(err.code).toBe('invalid_input');
    expect(err.field).toBe('FEATURESCOPE_BACKEND');
    expect(err.message).toContain('"webgpu"');
  });

  it.each([['0'], ['-2'], ['1.5'], ['two'], ['3x']])('refuses FEATURESCOPE_THREADS=%s', (value) => {
    const err = rejection(() => resolveBackendOptions({}, { FEATURESCOPE_THREADS: value }));
    expect(err.code).toBe('invalid_input');
    expect(err.field).toBe('FEATURESCOPE_THREADS');
  });

  it.each([[0], [-1], [2.5], [Number.NaN]])('refuses threads: %s from the caller', (threads) => {
    const err = rejection(() => resolveBackendOptions({ threads }, {}));
    expect(err.field).toBe('threads');
  });
});
