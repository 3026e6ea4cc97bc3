// The metric-token rule attribution and the audit share: an id passes, text must be one token of
// the model's own vocabulary (the shipped featurescope-tiny tokenizer here), and the error names
// the field and the pieces the text split into.

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { singleTokenId } from '../../../src/engine/attribution/token-ref';
import { ModelTokenizer } from '../../../src/engine/model/tokenizer';
import { FeaturescopeError } from '../../../src/shared/errors';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const tokenizer = ModelTokenizer.fromFiles(resolve(MODEL_DIR, 'tokenizer.json'), resolve(MODEL_DIR, 'tokenizer_config.json'));

describe('singleTokenId', () => {
  it('passes an id through and resolves one-token text to its id, without special tokens', () => {
    expect(singleTokenId(tokenizer, 123, 'metric.token')).toBe(123);
    const [the] = tokenizer.encode(' the', { addSpecialTokens: false });
    expect(singleTokenId(tokenizer, ' the', 'metric.token')).toBe(the);
    expect(tokenizer.decode([singleTokenId(tokenizer, ' the', 'metric.token')])).toBe(' the');
  });

  it('refuses text of several tokens, naming the field, the count and the pieces', () => {
    const text = 'hello world again';
    const pieces = tokenizer.encode(text, { addSpecialTokens: false }).map((id) => JSON.stringify(tokenizer.decode([id])));
    expect(pieces.length).toBeGreaterThan(1);
    let error: unknown;
    try {
      singleTokenId(tokenizer, text, 'contrastSet.metric.tokenA');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FeaturescopeError);
    expect(error).toMatchObject({ code: 'invalid_input', field: 'contrastSet.metric.tokenA' });
    expect((error as Error).message).toBe(`contrastSet.metric.tokenA: "${text}" is ${pieces.length} tokens for this model (${pieces.join(' ')}); give one token or its id.`);
  });
});
