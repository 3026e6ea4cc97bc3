// capture.json, written beside a capture's stores so training and evaluation know which model
// folder and corpus it came from. A missing or unreadable file means "not recorded", never an error:
// captures made before it existed still train.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../formats/atomic';

const CAPTURE_INFO = 'capture.json';

export const CaptureInfo = z.object({ modelDir: z.string(), corpus: z.unknown(), corpusSha256: z.string().nullable() });
export type CaptureInfo = z.infer<typeof CaptureInfo>;

/** Written into the capture folder (the parent of its per-hook stores). */
export function writeCaptureInfo(captureDir: string, info: CaptureInfo): void {
  writeFileAtomic(join(captureDir, CAPTURE_INFO), JSON.stringify(info, null, 2));
}

/** The info of the capture a store belongs to, or null when it was not recorded or does not parse. */
export function readCaptureInfo(storeDir: string): CaptureInfo | null {
  const path = resolve(storeDir, '..', CAPTURE_INFO);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  const parsed = CaptureInfo.safeParse(json);
  return parsed.success ? parsed.data : null;
}
