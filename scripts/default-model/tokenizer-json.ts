// Writes a learned byte-level BPE as a Hugging Face tokenizer.json in GPT-2's layout
// (ByteLevel pre-tokenizer with GPT-2's regex, BPE model, ByteLevel decoder) plus
// tokenizer_config.json, so @huggingface/tokenizers and HF transformers load it.
import { bytesToUnicode, type BpeModel } from './bpe';

export const END_OF_TEXT = '<|endoftext|>';

/** Token strings by id: bytes, then merges, then <|endoftext|> as the last id. */
export function tokenStrings(model: BpeModel): string[] {
  const byteChars = bytesToUnicode();
  const strings = [...byteChars];
  for (const [a, b] of model.merges) strings.push(strings[a]! + strings[b]!);
  strings.push(END_OF_TEXT);
  return strings;
}

export function endOfTextId(model: BpeModel): number {
  return 256 + model.merges.length;
}

export function tokenizerJson(model: BpeModel): object {
  const strings = tokenStrings(model);
  const vocab: Record<string, number> = {};
  strings.forEach((s, id) => {
    if (s in vocab) throw new Error(`duplicate token string ${JSON.stringify(s)} at ids ${vocab[s]} and ${id}`);
    vocab[s] = id;
  });
  const eot = endOfTextId(model);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: eot, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: model.merges.map(([a, b]) => `${strings[a]} ${strings[b]}`),
    },
  };
}

export function tokenizerConfigJson(maxLength: number): object {
  return {
    tokenizer_class: 'GPT2Tokenizer',
    add_prefix_space: false,
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    model_max_length: maxLength,
    clean_up_tokenization_spaces: false,
  };
}
