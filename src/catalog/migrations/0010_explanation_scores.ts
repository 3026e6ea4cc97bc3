import type { Migration } from './types';

// Explanation scores and separators (issue #18: "an audit trail an auditor can trust").
//
// analyze holds out every 5th corpus window (window ids 4, 9, 14, …: explanation-scores.ts): the
// feature's examples, and so its explanation, come from the other windows only; on the held-out
// ones the explanation's tokens predict "fires at ½ of its max activation or more" per token, and
// these columns keep how well:
//   explanation_precision  predicted tokens that fire / predicted tokens (NULL: nothing predicted)
//   explanation_recall     firing tokens predicted / firing tokens (NULL: it never fired there)
//   explanation_f1         2·hits / (predicted + firing) (NULL: neither)
//   held_out_tokens        analysed tokens in the held-out windows (NULL: not scored)
//   held_out_firings       of those, where the feature fired at ½ of its max or more
//   explanation_separator  what tells it apart from the SAE's other features with the same
//                          explanation text, e.g. `after " the"` (NULL: its explanation is its own)
// Catalogs analysed before this keep NULL everywhere: "not scored", shown as "—", never as 0.
// features_f1 lets an F1 sort walk the index, as the density and max_act sorts do.
export const migration0010: Migration = {
  version: 10,
  name: 'explanation scores',
  sql: /* sql */ `
ALTER TABLE features ADD COLUMN explanation_precision REAL CHECK (explanation_precision BETWEEN 0 AND 1);
ALTER TABLE features ADD COLUMN explanation_recall REAL CHECK (explanation_recall BETWEEN 0 AND 1);
ALTER TABLE features ADD COLUMN explanation_f1 REAL CHECK (explanation_f1 BETWEEN 0 AND 1);
ALTER TABLE features ADD COLUMN held_out_tokens INTEGER CHECK (held_out_tokens >= 0);
ALTER TABLE features ADD COLUMN held_out_firings INTEGER CHECK (held_out_firings >= 0);
ALTER TABLE features ADD COLUMN explanation_separator TEXT;
CREATE INDEX features_f1 ON features(analysis_id, explanation_f1, idx);
`,
};
