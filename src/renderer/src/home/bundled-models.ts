import type { ModelInfo } from '@shared/contract';

/** What each bundled model is, in a sentence, for the Get started choice. */
const ABOUT: Record<string, string> = {
  'featurescope-tiny':
    'A small GPT-2 the project trains itself on Python code and Austen-style prose: features for indentation, def, self, dialogue.',
  stories260K:
    'Karpathy’s 260K-parameter Llama, trained elsewhere on TinyStories: simple English stories, so its features (names, “Once upon a time”, quotes, story endings) are recognisable at a glance.',
};

export function aboutModel(m: ModelInfo): string {
  return ABOUT[m.name] ?? `${m.modelType}, ${m.nLayers} layers, d_model ${m.dModel}.`;
}
