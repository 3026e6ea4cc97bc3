// Timings the specs take along the way. They are measurements, not tests: timings never gate a
// run (the machine may be shared). Each is recorded on the test as an annotation (shown by the
// reporters) and a JSON attachment with the samples, and printed.
import { test } from '@playwright/test';

export async function recordMeasurement(name: string, summary: string, samples: Record<string, unknown>): Promise<void> {
  const info = test.info();
  info.annotations.push({ type: 'measurement', description: `${name}: ${summary}` });
  await info.attach(`${name}.json`, { body: JSON.stringify(samples, null, 2), contentType: 'application/json' });
  console.log(`measurement · ${name}: ${summary}`);
}
