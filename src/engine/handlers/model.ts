import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelInfo, RunOutput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { topTokens } from '../model';
import { ModelCache, realFolder } from '../models/model-cache';
import { describeModel } from '../models/model-info';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

type ModelHandlers = Pick<CallHandlers, 'model.list' | 'model.open' | 'model.run'>;

/** Models live in folders; the workspace remembers which ones were opened (catalog `models`). */
export function modelHandlers(services: EngineServices, cache: ModelCache): ModelHandlers {
  const bundledDirs = (): string[] => {
    const root = services.paths.bundledModels;
    if (!existsSync(root)) return [];
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'config.json')))
      .map((d) => realFolder(join(root, d.name)));
  };

  const rememberedDirs = (): string[] =>
    (services.catalog().statement('SELECT DISTINCT path FROM models ORDER BY id').all() as Array<{ path: string }>).map((r) => r.path);

  async function info(dir: string): Promise<ModelInfo> {
    const model = await cache.get(dir);
    return describeModel(model, bundledDirs().includes(model.dir));
  }

  return {
    'model.list': async () => {
      const dirs = [...new Set([...bundledDirs(), ...rememberedDirs()])];
      const out: ModelInfo[] = [];
      // A remembered folder that was moved or deleted since is left out, not an error for the whole list.
      for (const dir of dirs) if (existsSync(dir)) out.push(await info(dir));
      return out;
    },

    'model.open': async ({ path }) => {
      const model = await cache.get(path);
      const catalog = services.catalog();
      const known = catalog.statement('SELECT id FROM models WHERE path = ?').get(model.dir);
      if (!known) {
        catalog
          .statement('INSERT INTO models (name, path, architecture, config, added_at) VALUES (?, ?, ?, ?, ?)')
          .run(describeModel(model, false).name, model.dir, model.config.modelType, JSON.stringify(model.config), Date.now());
        services.catalogChanged(['models']);
      }
      return info(model.dir);
    },

    'model.run': async ({ model: dir, prompt, capture, interventions, topK, generate }) => {
      const t0 = performance.now();
      const model = await cache.get(dir);
      const ids = model.tokenizer.encode(prompt);
      if (ids.length === 0) throw new FeaturescopeError('invalid_input', 'The prompt encodes to no tokens.', 'prompt');
      const maxPositions = model.config.maxPositions;
      if (maxPositions !== null && ids.length + (generate?.maxNewTokens ?? 0) > maxPositions) {
        throw new FeaturescopeError(
          'invalid_input',
          `The prompt is ${ids.length} tokens${generate ? ` plus ${generate.maxNewTokens} to generate` : ''}; this model reads at most ${maxPositions}.`,
          'prompt',
        );
      }
      const known = new Set(model.hookNames());
      capture.forEach((hook, i) => {
        if (!known.has(hook)) throw new FeaturescopeError('invalid_input', `capture.${i}: "${hook}" is not a hook of this model (e.g. ${model.hookNames().slice(0, 3).join(', ')}).`, `capture.${i}`);
      });

      const { logits, captured } = model.run([ids], { capture, interventions, lastPositionOnly: capture.length === 0 });
      let lastRow: Float32Array;
      try {
        lastRow = tf.tidy(() => logits.slice([0, logits.shape[1] - 1, 0], [1, 1, -1]).reshape([-1]).dataSync() as Float32Array);
      } finally {
        logits.dispose();
        for (const t of captured.values()) t.dispose();
      }
      const text = (id: number) => model.tokenizer.decode([id]);
      const out: RunOutput = {
        model: model.dir,
        tokens: ids.map((id) => ({ id, text: text(id) })),
        next: topTokens(lastRow, topK).map((t) => ({ id: t.token, text: text(t.token), prob: t.prob, logit: t.logit })),
        captured: [...captured.entries()].map(([hook, t]) => ({ hook, shape: t.shape })),
        continuation: null,
        seconds: 0,
      };
      if (generate) {
        const tokens: Array<{ id: number; text: string; logProb: number }> = [];
        const gen = model.generate(ids, { ...generate, interventions });
        let step = await gen.next();
        while (!step.done) {
          tokens.push({ id: step.value.token, text: text(step.value.token), logProb: step.value.logProb });
          step = await gen.next();
        }
        out.continuation = { text: model.tokenizer.decode(tokens.map((t) => t.id)), tokens, stop: step.value };
      }
      out.seconds = (performance.now() - t0) / 1000;
      return out;
    },
  };
}
