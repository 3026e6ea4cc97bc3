import { startServe } from './serve-process';

/** Start `featurescope serve` once for all specs, exactly as a user would, and hand its URL to them. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const serve = await startServe('featurescope-e2e-');
  process.env.FEATURESCOPE_URL = serve.url;
  process.env.FEATURESCOPE_E2E_HOME = serve.home;
  return () => serve.stop();
}
