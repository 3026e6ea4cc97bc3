import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportFeatureCsv, exportNeuronpediaJsonl, findSae } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { AtomicFileWriter, writeFileAtomic } from '../formats/atomic';
import { CFG_FILE, WEIGHTS_FILE } from '../sae/io/saelens';
import type { EngineServices } from '../services';
import { checkOutputFile, checkOutputFolder } from './output-path';
import type { CallHandlers, JobHandlers } from './registry';

export function exportHandlers(services: EngineServices): { calls: Pick<CallHandlers, 'sae.export'>; jobs: Pick<JobHandlers, 'catalog.export'> } {
  return {
    calls: {
      'sae.export': ({ saeId, dir: given, force }, caller) => {
        const row = findSae(services.catalog(), saeId);
        if (!row) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog.`, 'saeId');
        for (const file of [WEIGHTS_FILE, CFG_FILE]) {
          if (!existsSync(join(row.weightsPath, file))) throw new FeaturescopeError('not_found', `SAE ${saeId}'s ${file} is missing from ${row.weightsPath}; nothing was written.`, 'saeId');
        }
        // A browser writes only into the workspace; a non-empty folder is written into only with force.
        const dir = checkOutputFolder(given, { caller, workspace: services.paths.workspace, force, field: 'dir' });
        mkdirSync(dir, { recursive: true });
        // Each file lands whole or not at all; the weights go first so a cfg.json never points at nothing.
        writeFileAtomic(join(dir, WEIGHTS_FILE), readFileSync(join(row.weightsPath, WEIGHTS_FILE)));
        writeFileAtomic(join(dir, CFG_FILE), readFileSync(join(row.weightsPath, CFG_FILE)));
        return { dir, files: [CFG_FILE, WEIGHTS_FILE] };
      },
    },
    jobs: {
      'catalog.export': async ({ saeId, format, path: given, force }, ctx) => {
        const catalog = services.catalog();
        // Checked before any work: a browser writes only into the workspace, nothing is replaced unasked.
        const path = checkOutputFile(given, { caller: ctx.caller, workspace: services.paths.workspace, force, field: 'path' });
        const sae = findSae(catalog, saeId);
        if (!sae) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog; nothing was written.`, 'saeId');
        const total = sae.dSae;
        const meter = ctx.meter('features', total);
        const out = AtomicFileWriter.create(path);
        let bytes = 0;
        let features = 0;
        const write = (chunk: string) => {
          const data = Buffer.from(chunk, 'utf8');
          out.write(data);
          bytes += data.length;
          if (chunk.endsWith('\n')) {
            features++;
            if (features % 1024 === 0) {
              ctx.throwIfCancelled();
              meter.update(features);
            }
          }
        };
        try {
          const modelId = sae?.trainedOn ?? '';
          const n = format === 'csv' ? exportFeatureCsv(catalog, saeId, write) : exportNeuronpediaJsonl(catalog, saeId, modelId, write);
          out.commit();
          meter.update(n, { force: true });
          return { path, features: n, bytes };
        } catch (err) {
          out.abort();
          throw err;
        }
      },
    },
  };
}
