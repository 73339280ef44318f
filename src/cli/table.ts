/** What the admin commands share: a column table for terminals, and the reason a refusal gives. */

/** Rows padded to the widest cell of each column as a terminal shows it (kanji and kana take two columns). */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => displayWidth(row[column]))));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(widths[column] - displayWidth(cell)))).join('  ')).join('\n') + '\n';
}

/** Columns a string takes in a terminal: East Asian wide and full-width characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(char) ? 2 : 1;
  return width;
}

/** The diagnostics of an OperationOutcome answer, or the answer itself. */
export function refusalText(answer: Record<string, unknown>): string {
  const issues = answer.issue as { diagnostics?: string }[] | undefined;
  return issues?.map((i) => i.diagnostics).join('; ') ?? (typeof answer.error === 'string' ? answer.error : JSON.stringify(answer));
}
