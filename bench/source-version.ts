/** The commit a benchmark measured, so a figure can be traced to the code it belongs to. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The commit checked out, and the uncommitted files under `folders` (then the figures are not the commit's);
 * undefined outside a git checkout (an unpacked tarball).
 */
export function sourceVersion(folders: string[] = ['src', 'migrations']): { commit: string; uncommittedFiles: string[] } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    // Porcelain lines are "XY path"; X may be a space, so the output is not trimmed before slicing.
    const status = git('status', '--porcelain', '--', ...folders).split('\n').filter(Boolean);
    return { commit: git('rev-parse', 'HEAD').trim(), uncommittedFiles: status.map((line) => line.slice(3)) };
  } catch {
    return undefined;
  }
}
