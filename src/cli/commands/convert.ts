// featurescope convert: other tools' checkpoints into Hugging Face folders the workbench opens.
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { JSON_FLAG } from '../args';
import { handFlags, mergeFlags } from '../flag-set';
import { callOrThrow } from '../../shared/call';
import { FeaturescopeError } from '../../shared/errors';

const USAGE = 'featurescope convert llama2c MODEL.bin TOKENIZER.bin OUT_DIR [--force] [--json]';

export const convertCommands: Record<string, CliCommand> = {
  convert: {
    summary: 'Convert a llama2.c checkpoint and tokenizer into a Hugging Face Llama folder',
    usage: [
      USAGE,
      '',
      'MODEL.bin is a llama2.c checkpoint (run.c’s format), TOKENIZER.bin its tokenizer (tokenizer.bin,',
      'tok512.bin …). OUT_DIR gets config.json, model.safetensors, tokenizer.json (an equivalent',
      'SentencePiece BPE with byte fallback), tokenizer_config.json and generation_config.json; open it',
      'with --model OUT_DIR. An existing non-empty OUT_DIR is left alone unless --force.',
    ].join('\n'),
    positionals: true,
    flags: mergeFlags(handFlags({ force: { type: 'boolean', description: 'Write into OUT_DIR even if it holds files (converted files are replaced)' } }), JSON_FLAG),
    async run(values, host, positionals) {
      const [format, checkpoint, tokenizer, outDir, ...extra] = positionals;
      if (format !== 'llama2c') {
        const got = format === undefined ? 'nothing' : `"${format}"`;
        throw new FeaturescopeError('invalid_input', `convert: the format must be llama2c, got ${got}. Usage: ${USAGE}`, 'format');
      }
      if (checkpoint === undefined || tokenizer === undefined || outDir === undefined || extra.length > 0) {
        throw new FeaturescopeError('invalid_input', `convert llama2c takes three paths (MODEL.bin TOKENIZER.bin OUT_DIR), got ${positionals.length - 1}. Usage: ${USAGE}`, 'outDir');
      }
      const input = { format, checkpoint: resolve(checkpoint), tokenizer: resolve(tokenizer), outDir: resolve(outDir), force: values.force === true } as const;
      const r = await callOrThrow(await host(), 'model.convert', input);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      const c = r.config;
      process.stdout.write(
        `${r.dir}: Llama, ${r.parameters.toLocaleString('en-US')} parameters (dim ${c.dim}, ${c.nLayers} layers, ${c.nHeads} heads / ${c.nKvHeads} kv, vocab ${c.vocabSize}, context ${c.seqLen}${c.sharedClassifier ? ', tied embeddings' : ''})\n`,
      );
      process.stdout.write(`  wrote ${r.files.join(', ')}\n  open it with: featurescope run --model ${r.dir} --prompt "" --generate 64\n`);
      return 0;
    },
  },
};
