import { createHost, type Host, type HostOptions } from './host';
import { forkNodeEngine } from './engine-process';
import { resolvePaths } from '../node/paths';

/** A host whose engine is a plain Node child process: serve mode, the CLI and tests. */
export function createNodeHost(mode: HostOptions['mode'], builtDir: string = __dirname, env: NodeJS.ProcessEnv = process.env): Host {
  const paths = resolvePaths(builtDir, env);
  return createHost({ mode, paths, spawnEngine: forkNodeEngine(paths.engineEntry, env) });
}
