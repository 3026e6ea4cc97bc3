// Planted-feature recovery for the sparse architectures (see plantedRecovery.ts).
import { it } from 'vitest';
import { checkRecovery } from './plantedRecovery';

it('topk recovers ≥ 90% of planted directions at L0 = k = 3', () => checkRecovery('topk', {}, [2.9, 3]));
it('batchtopk recovers ≥ 90% of planted directions at mean L0 = 3', () => checkRecovery('batchtopk', {}, [2.9, 3]));
// Two inner levels (32, 64) must each reconstruct on their own; with uniform planted frequencies the
// prefixes learn more slowly than one flat dictionary, hence twice the steps.
it('matryoshka_batchtopk recovers ≥ 90% of planted directions at mean L0 = 3 (nested widths 32, 64, 128)', () =>
  checkRecovery('matryoshka_batchtopk', { matryoshkaWidths: '32,64', steps: 2000 }, [2.9, 3]));
