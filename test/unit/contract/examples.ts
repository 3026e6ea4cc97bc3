import type { CommandInput, CommandName } from '../../../src/shared/contract';

/**
 * One valid input per command. The property tests break these one field at a time; a command
 * added to the contract without an example here fails the "every command has an example" test.
 */
export const validExamples: { [C in CommandName]: CommandInput<C> } = {
  'app.doctor': {},
  'jobs.list': {},
  'jobs.get': { jobId: 'job-1234' },
  'jobs.cancel': { jobId: 'job-1234' },
  'engine.benchmark': { size: 64, seconds: 0.1 },
};
