// Planted-feature recovery for the dense architectures (see plantedRecovery.ts). Their sparsity
// comes from the penalty, so λ is set for an L0 near the 3 planted features per sample.
import { it } from 'vitest';
import { checkRecovery } from './plantedRecovery';

it('standard (relu-l1) recovers ≥ 90% of planted directions', () => checkRecovery('standard', { l1Coefficient: 5 }, [2, 6]));
it('jumprelu recovers ≥ 90% of planted directions', () =>
  checkRecovery('jumprelu', { l0Coefficient: 0.5, initThreshold: 0.5, bandwidth: 0.1 }, [2, 4.5]));
