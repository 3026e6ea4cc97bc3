import { z } from 'zod';
import { ExperimentRef } from './records';
import { JobRef } from './common';
import { command, jobCommand } from './define';
import { HtmlReportPath } from './report-path';
import { CorpusSpec } from './sae';

// Watchlists: named sets of SAE features to monitor, each with a threshold in activation units.
// The catalog (src/catalog/watchlists.ts) stores them and parses its inputs with these schemas.
const Id = z.number().int().positive();
const Idx = z.number().int().nonnegative();

/** Features one watchlist holds at most: it bounds a scan's work and the size of its log. */
export const WATCHLIST_MAX_ENTRIES = 1000;

/** A watchlist by id or by name (names are unique, case-insensitively). */
export const WatchlistRef = z.union([Id, z.string().trim().min(1).max(80)]);

export const WatchlistEntryInput = z
  .object({
    saeId: Id,
    idx: Idx,
    /** Activation units; default: `defaultFraction` of the feature's max activation in the SAE's analysis. */
    threshold: z.number().finite().positive().optional(),
    label: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const WatchlistSaveInput = z
  .object({
    /** Rename or rewrite this watchlist; without it, a watchlist called `name` is created. */
    id: Id.optional(),
    name: z.string().trim().min(1).max(80).describe('The watchlist'),
    note: z.string().trim().max(2000).default('').describe('A note kept with the watchlist'),
    /** The whole new set of entries: what is not listed is no longer watched. */
    entries: z.array(WatchlistEntryInput).max(WATCHLIST_MAX_ENTRIES),
    defaultFraction: z.number().gt(0).max(1).default(0.5).describe("Threshold of a feature given without one, as a fraction of its analysed max activation"),
    /**
     * Without `id`: rewrite the watchlist already called `name` (any case) instead of refusing the
     * name. Off by default, so creating a list never silently drops another list's entries.
     */
    replace: z.boolean().default(false),
    /**
     * The `updatedAt` of the watchlist as the caller read it: the save is refused when the list was
     * written since (an editor's stale copy would otherwise undo that write).
     */
    expectedUpdatedAt: z.number().int().optional(),
  })
  .strict();

export const WatchlistAddEntriesInput = z
  .object({
    watchlist: WatchlistRef,
    /** Added to what the list holds; an entry already on it is left as it is (its threshold and label kept). */
    entries: z.array(WatchlistEntryInput).min(1).max(WATCHLIST_MAX_ENTRIES),
    defaultFraction: z.number().gt(0).max(1).default(0.5).describe("Threshold of a feature given without one, as a fraction of its analysed max activation"),
    /** When `watchlist` is a name no list has, create the list with these entries (otherwise not_found). */
    create: z.boolean().default(false),
  })
  .strict();

export const WatchlistEntry = z.object({
  saeId: Id,
  idx: Idx,
  threshold: z.number(),
  label: z.string().nullable(),
  /** From the catalog, for display: the user's label, the automatic explanation and max activation of the SAE's active analysis. */
  userLabel: z.string().nullable(),
  explanation: z.string().nullable(),
  maxAct: z.number().nullable(),
});

export const Watchlist = z.object({
  id: Id,
  name: z.string(),
  note: z.string(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  entries: z.array(WatchlistEntry),
});

/** Characters of all prompts of one scan together: they are logged with it (see src/engine/watch/scan-log.ts); more text is a corpus. */
export const PROMPT_CHARS_MAX = 4_000_000;

const Prompts = z
  .array(z.string().min(1).max(20_000))
  .min(1)
  .max(10_000)
  .refine((ps) => ps.reduce((n, p) => n + p.length, 0) <= PROMPT_CHARS_MAX, {
    message: `the prompts hold more than ${PROMPT_CHARS_MAX.toLocaleString('en-US')} characters in all; scan that much text as a corpus file`,
  });

/** What a scan reads: a corpus (as capture and analysis read it) or a list of prompts, each scanned alone. */
export const ScanSource = z.discriminatedUnion('kind', [...CorpusSpec.options, z.object({ kind: z.literal('prompts'), prompts: Prompts }).strict()]);

export const ScanRunInput = z
  .object({
    model: z.string().min(1).optional().describe('Model folder (default: the model the SAE was trained on, when that folder is on this machine)'),
    sae: z.number().int().positive().describe('The SAE whose watched features are scanned'),
    watchlist: WatchlistRef.describe("The watchlist; its entries of this SAE are scanned"),
    source: ScanSource,
    contextLength: z.number().int().min(2).max(8192).optional().describe('Tokens per corpus window (prompts are scanned whole)'),
    maxTokens: z.number().int().min(1).optional().describe('Stop after this many tokens (default: the whole corpus)'),
    topPerFeature: z.number().int().min(1).max(100).default(10).describe('Flagged contexts kept per feature, highest peak first'),
    outPath: HtmlReportPath.optional().describe('Also write the HTML report here (its folder is checked before the scan starts)'),
    force: z.boolean().default(false).describe('Replace the file at --out if it exists (otherwise the scan is refused before it starts)'),
  })
  .strict();

export const FlaggedContext = z.object({
  /** Decoded tokens around the peak, and the feature's value at each (0 at special tokens). */
  tokens: z.array(z.string()),
  values: z.array(z.number()),
  /** Index in `tokens` of the peak. */
  peakIndex: z.number().int(),
  peak: z.number(),
  /** Document (corpus) or prompt index, and the peak's token offset in it. */
  doc: z.number().int(),
  position: z.number().int(),
  /** Tokens of this context (window or prompt) over the threshold. */
  tokensOver: z.number().int(),
});

export const ScanFeatureResult = z.object({
  idx: z.number().int(),
  threshold: z.number(),
  label: z.string().nullable(),
  /** Contexts (corpus windows or prompts) where the feature exceeds its threshold at least once. */
  flagged: z.number().int(),
  flaggedTokens: z.number().int(),
  /** Highest activation over every scanned token, flagged or not. */
  maxAct: z.number(),
  top: z.array(FlaggedContext),
});

export const ScanRunResult = z.object({
  experiment: z.object({ id: z.number(), citeId: z.string() }),
  reportPath: z.string(),
  exportedTo: z.string().nullable(),
  watchlist: z.object({ id: z.number(), name: z.string() }),
  source: z.enum(['corpus', 'prompts']),
  /** Scanned (non-special) tokens and contexts. */
  tokens: z.number().int(),
  contexts: z.number().int(),
  seconds: z.number(),
  features: z.array(ScanFeatureResult),
});

export const ScanReplayOutput = z.object({
  replayOf: z.string(),
  idx: z.number().int(),
  rank: z.number().int(),
  logged: z.number(),
  value: z.number(),
  /** The context's peak value again (to float noise) and still over the threshold. */
  matches: z.boolean(),
});

export const watchCommands = {
  'watchlist.list': command({
    summary: 'Watchlists with their entries (only those of one SAE when saeId is given), with each feature’s label and analysed max',
    runsIn: 'engine',
    input: z.object({ saeId: z.number().int().positive().optional() }).strict(),
    output: z.array(Watchlist),
  }),
  'watchlist.save': command({
    summary: 'Create or rewrite a watchlist and its entries (a taken name is refused unless replace is set; a stale expectedUpdatedAt is refused); a threshold left out is a fraction of the feature’s analysed max activation',
    runsIn: 'engine',
    input: WatchlistSaveInput,
    output: Watchlist,
  }),
  'watchlist.addEntries': command({
    summary: 'Add features to a watchlist in one transaction, keeping what it holds; a feature already on it is left as it is',
    runsIn: 'engine',
    input: WatchlistAddEntriesInput,
    output: z.object({
      watchlist: Watchlist,
      /** Entries of the input that were already on the list, left as they were. */
      alreadyThere: z.array(z.object({ saeId: Id, idx: Idx })),
      created: z.boolean(),
    }),
  }),
  'watchlist.delete': command({
    summary: 'Delete a watchlist by id or name',
    runsIn: 'engine',
    input: z.object({ watchlist: WatchlistRef }).strict(),
    output: z.object({ deleted: z.boolean() }),
  }),
  'scan.run': jobCommand({
    summary: 'Scan a corpus or prompt list for contexts where a watched feature exceeds its threshold; logged, with an HTML report',
    input: ScanRunInput,
    output: JobRef,
    result: ScanRunResult,
  }),
  'scan.replay': command({
    summary: 'Re-run one flagged context of a logged scan and compare the feature’s value with the log',
    runsIn: 'engine',
    input: z
      .object({
        ref: ExperimentRef,
        idx: z.number().int().nonnegative().optional(),
        rank: z.number().int().nonnegative().default(0).describe("With --replay: which of the feature's flagged contexts, 0 the highest"),
      })
      .strict(),
    output: ScanReplayOutput,
  }),
};

export type ScanSource = z.infer<typeof ScanSource>;
export type ScanRunInput = z.infer<typeof ScanRunInput>;
export type FlaggedContext = z.infer<typeof FlaggedContext>;
export type ScanFeatureResult = z.infer<typeof ScanFeatureResult>;
export type ScanRunResult = z.infer<typeof ScanRunResult>;
export type ScanReplayOutput = z.infer<typeof ScanReplayOutput>;
export type WatchlistRef = z.infer<typeof WatchlistRef>;
export type WatchlistEntryInput = z.input<typeof WatchlistEntryInput>;
export type WatchlistSaveInput = z.input<typeof WatchlistSaveInput>;
export type WatchlistAddEntriesInput = z.input<typeof WatchlistAddEntriesInput>;
export type WatchlistEntry = z.infer<typeof WatchlistEntry>;
export type Watchlist = z.infer<typeof Watchlist>;
