/**
 * What was last flashed to each board (the project, the image, the model hash), so that `reparo bench`
 * and `reparo validate` run later, in another process, know which model the board should be running
 * and where its .tflite is. Kept in the state folder ($REPARO_STATE_DIR or the OS temp folder), one small JSON file per board.
 */
import { existsSync, readFileSync } from 'node:fs';
import { stateDir } from '../io/state-dir.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';

export interface FlashRecord {
  board: string;
  /** the emitted project folder, when the image came from one */
  project?: string;
  image: string;
  modelHash?: string;
  /** set when the firmware speaks the MLPerf Tiny DUT protocol (for this benchmark), not reparo's */
  mlperf?: string;
  port?: string;
  flashedAt: string;
}

const recordPath = (boardId: string) => join(stateDir('reparo-boards'), `${boardId}.json`);

export function saveFlashRecord(rec: FlashRecord): void {
  writeFileAtomic(recordPath(rec.board), JSON.stringify(rec, null, 2));
}

export function readFlashRecord(boardId: string): FlashRecord | null {
  const p = recordPath(boardId);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as FlashRecord;
  } catch {
    return null; // a damaged record is as good as none: the user flashes again
  }
}
