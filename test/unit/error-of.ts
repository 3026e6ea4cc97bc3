// The FeaturescopeError a call throws, for tests that check its code, field and message; any other
// throw is re-raised, and a call that does not throw fails the test.
import { FeaturescopeError } from '../../src/shared/errors';

export function errorOf(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeaturescopeError) return err;
    throw err;
  }
  throw new Error('expected a FeaturescopeError');
}

/** The same for a call that may return a promise: its rejection counts as its throw. */
export async function asyncErrorOf(fn: () => unknown): Promise<FeaturescopeError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof FeaturescopeError) return err;
    throw err;
  }
  throw new Error('expected a FeaturescopeError');
}
