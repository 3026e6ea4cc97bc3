// Planted-feature recovery for the sparse architectures (see plantedRecovery.ts).
import { it } from 'vitest';
import { checkRecovery } from './plantedRecovery';

it('topk recovers ≥ 90% of planted directions at L0 = k = 3', () => checkRecovery('topk', {}, [2.9, 3]));
it('batchtopk recovers ≥ 90% of planted directions at mean L0 = 3', () => checkRecovery('batchtopk', {}, [2.9, 3]));
