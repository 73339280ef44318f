/**
 * The audit behind research releases: is some person's unit vector in the span of the released sets?
 * Each case is a set of released cells (persons by name) and whether a combination of them isolates someone.
 */
import { isolatesSomeone } from '../../src/research/audit-expert';

const people = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const Q = people('q', 10);
const R = people('r', 10);

test.each([
  ['one cell', [[...Q]], false],
  ['two disjoint cells', [Q, R], false],
  ['a cell and the same less one person', [['p', ...Q], Q], true],
  ['all, less one part, less the other part', [['p', ...Q, ...R], Q, R], true],
  ['p with Q, Q with R, p with R: (a − b + c) / 2 is p', [['p', ...Q], [...Q, ...R], ['p', ...R]], true],
  ['two overlapping cells whose difference is ten persons', [[...Q, ...R], R], false],
  ['three cells that only ever cover pairs of groups', [[...Q, ...R], [...R, ...people('s', 10)], [...Q, ...people('s', 10), ...people('t', 10)]], false],
  ['the same cell twice', [Q, [...Q].reverse()], false],
] as const)('%s', (_name, sets, isolates) => {
  expect(isolatesSomeone(sets as unknown as string[][])).toBe(isolates);
});

test('a combination with large coefficients is found as well as a difference', () => {
  // A path of pairs {x_k, x_k+1} isolates nobody; with the cell of all seven the span is every vector, so each
  // person is an alternating sum of the cells.
  const x = people('x', 7);
  const chain = x.slice(0, -1).map((v, k) => [v, x[k + 1]]);
  expect(isolatesSomeone(chain)).toBe(false);
  expect(isolatesSomeone([...chain, x])).toBe(true);
});
