import { z } from 'zod';
import { command } from './define';
import { AbsolutePath, Empty } from './common';

export const CorpusFolderList = z.array(z.object({ path: z.string(), addedAt: z.number() }));

/**
 * The workspace's corpus folders: the app (a browser caller) reads corpora only from inside these.
 * The CLI reads any path it is given. Folders are stored resolved (links followed).
 */
export const workspaceCommands = {
  'workspace.corpusFolders': command({
    summary: 'The folders the app may read corpora from',
    runsIn: 'engine',
    input: Empty,
    output: CorpusFolderList,
  }),
  'workspace.addCorpusFolder': command({
    summary: 'Let the app read corpora from a folder (and its sub-folders)',
    runsIn: 'engine',
    input: z.object({ path: AbsolutePath }).strict(),
    output: CorpusFolderList,
  }),
  'workspace.removeCorpusFolder': command({
    summary: 'Stop the app reading corpora from a folder',
    runsIn: 'engine',
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: CorpusFolderList,
  }),
};

export type CorpusFolderList = z.infer<typeof CorpusFolderList>;
