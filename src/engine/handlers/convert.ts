// model.convert: another tool's checkpoint → a Hugging Face folder. Inputs are checked to be
// files before anything is read; the output folder follows the export rules (a browser writes
// only into the workspace, an existing non-empty folder only with force).
import { statSync } from 'node:fs';
import { FeaturescopeError } from '../../shared/errors';
import { convertLlama2c } from '../formats/llama2c-convert';
import type { EngineServices } from '../services';
import { checkOutputFolder } from './output-path';
import type { CallHandlers } from './registry';

function inputFile(path: string, field: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new FeaturescopeError('not_found', `${field}: ${path} does not exist.`, field);
  if (!stat.isFile()) throw new FeaturescopeError('invalid_input', `${field}: ${path} is not a file.`, field);
  return path;
}

export function convertHandlers(services: EngineServices): Pick<CallHandlers, 'model.convert'> {
  return {
    'model.convert': ({ checkpoint, tokenizer, outDir, force }, caller) => {
      const modelFile = inputFile(checkpoint, 'checkpoint');
      const tokenizerFile = inputFile(tokenizer, 'tokenizer');
      const dir = checkOutputFolder(outDir, { caller, workspace: services.paths.workspace, force, field: 'outDir' });
      const { header, parameters, files } = convertLlama2c(modelFile, tokenizerFile, dir);
      return { dir, files, parameters, config: header };
    },
  };
}
