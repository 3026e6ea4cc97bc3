import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { exportFeatureCsv, exportNeuronpediaJsonl, findSae, getFeaturePage } from '../../catalog';
import { neuronpediaSource } from '../../catalog/export-neuronpedia';
import { appVersion } from '../../node/versions';
import { FeaturescopeError } from '../../shared/errors';
import { AtomicFileWriter, writeFileAtomic } from '../formats/atomic';
import { CFG_FILE, WEIGHTS_FILE } from '../sae/io/saelens';
import type { EngineServices } from '../services';
import { renderFeatureDashboard } from '../exports/feature-dashboard';
import { writeNeuronpediaFolder } from '../exports/neuronpedia-folder';
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
      'catalog.export': async ({ saeId, format, path: given, force, features: chosen }, ctx) => {
        const catalog = services.catalog();
        // Checked before any work: a browser writes only into the workspace, nothing is replaced unasked.
        const rules = { caller: ctx.caller, workspace: services.paths.workspace, force, field: 'path' };
        const path = format === 'neuronpedia' ? checkOutputFolder(given, rules) : checkOutputFile(given, rules);
        const sae = findSae(catalog, saeId);
        if (!sae) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog; nothing was written.`, 'saeId');
        const modelName = sae.trainedOn ?? '';
        if (format === 'neuronpedia') {
          const src = neuronpediaSource(catalog, saeId, basename(modelName) || sae.name);
          const meter = ctx.meter('features', sae.dSae);
          const r = writeNeuronpediaFolder(catalog, saeId, src, path, {
            onBatch: (n) => {
              ctx.throwIfCancelled();
              meter.update(n);
            },
          });
          meter.update(r.features, { force: true });
          return { path, ...r };
        }
        if (format === 'html') {
          const idxs = chosen ?? [];
          // Every page is read (and a missing feature refused by number) before the file is created.
          const pages = idxs.map((idx) => {
            if (idx >= sae.dSae) throw new FeaturescopeError('invalid_input', `features: SAE "${sae.name}" has no feature ${idx} (it has ${sae.dSae}, numbered 0–${sae.dSae - 1}); nothing was written.`, 'features');
            return getFeaturePage(catalog, saeId, idx);
          });
          const html = renderFeatureDashboard({ sae: pages[0]!.sae, model: modelName, appVersion: appVersion(services.paths.appRoot), createdAt: Date.now(), features: pages });
          writeFileAtomic(path, html);
          return { path, features: pages.length, bytes: Buffer.byteLength(html) };
        }
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
          const n = format === 'csv' ? exportFeatureCsv(catalog, saeId, write) : exportNeuronpediaJsonl(catalog, saeId, modelName, write);
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
