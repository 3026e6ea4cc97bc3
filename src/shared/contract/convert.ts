import { z } from 'zod';
import { command } from './define';
import { AbsolutePath } from './common';

/** Checkpoints of other tools, converted into a Hugging Face folder the engine opens. */
export const convertCommands = {
  'model.convert': command({
    summary: 'Convert a llama2.c checkpoint and tokenizer into a Hugging Face Llama folder (config.json, model.safetensors, tokenizer.json)',
    runsIn: 'engine',
    input: z
      .object({
        format: z.enum(['llama2c']),
        /** The llama2.c checkpoint (.bin, run.c's legacy format). */
        checkpoint: AbsolutePath,
        /** The llama2.c tokenizer (.bin: max_token_length, then score, length and bytes per token). */
        tokenizer: AbsolutePath,
        /** From the app, inside the workspace; an existing non-empty folder is written into only with force. */
        outDir: AbsolutePath,
        force: z.boolean().default(false),
      })
      .strict(),
    output: z.object({
      dir: z.string(),
      files: z.array(z.string()),
      parameters: z.number(),
      config: z.object({
        dim: z.number(),
        hiddenDim: z.number(),
        nLayers: z.number(),
        nHeads: z.number(),
        nKvHeads: z.number(),
        vocabSize: z.number(),
        seqLen: z.number(),
        sharedClassifier: z.boolean(),
      }),
    }),
  }),
};
