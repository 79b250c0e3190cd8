/** The board registry: one JSON file per board in /boards, validated at load. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReparoError } from '../errors.ts';
import { BoardSchema, type Board } from './schema.ts';
import { packagePath } from '../package-root.ts';

export { BoardSchema, type Board } from './schema.ts';

export const BOARDS_DIR = packagePath('boards/');

export function parseBoard(text: string, file: string): Board {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReparoError('E_BOARD', `not valid JSON (${(e as Error).message})`, { file });
  }
  const r = BoardSchema.safeParse(json);
  if (!r.success)
    throw new ReparoError('E_BOARD', r.error.issues.map((i) => `${i.path.join('.') || '(board)'}: ${i.message}`).join('; '), {
      file,
      hint: 'see boards/README.md for the board file format',
    });
  return r.data;
}

export function loadBoards(dir = BOARDS_DIR): Board[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const boards = files.map((f) => parseBoard(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
  files.forEach((f, i) => {
    if (`${boards[i]!.id}.json` !== f) throw new ReparoError('E_BOARD', `board id '${boards[i]!.id}' does not match its file name`, { file: join(dir, f) });
  });
  return boards;
}

export function findBoard(id: string, dir = BOARDS_DIR): Board {
  const boards = loadBoards(dir);
  const b = boards.find((x) => x.id === id);
  if (!b) throw new ReparoError('E_BOARD', `no board '${id}'`, { hint: `known boards: ${boards.map((x) => x.id).join(', ')} (reparo boards)` });
  return b;
}
