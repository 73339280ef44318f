/**
 * Would releasing a cell let someone work out one person's figures from all cells released so far, by any
 * combination of them (not just by subtracting two)? This is the audit of Chin & Özsoyoglu ("Auditing and
 * inference control in statistical databases", IEEE TSE 1982). Each released cell is the 0/1 vector of the
 * persons it counted. Its count, and its sum (mean × count), is that vector applied to the persons' figures.
 * One person i is disclosed exactly when the unit vector e_i lies in the span of the released vectors. That
 * is so exactly when the reduced row echelon form of those vectors has a row with a single non-zero entry.
 *
 * The elimination runs modulo a prime rather than over the rationals. Any rational combination that isolates
 * a person also does so modulo the prime (its denominators are far smaller than the prime). A combination
 * that exists only modulo the prime makes the audit refuse a cell it could have released, never the reverse.
 * The error is always on the side of privacy.
 */

const PRIME = 2_147_483_647n;

/** A sparse row: column (person index) → coefficient in [1, PRIME). */
type Row = Map<number, bigint>;

/** Is some person's unit vector in the span of these sets of persons? */
export function isolatesSomeone(sets: readonly (readonly string[])[]): boolean {
  const column = new Map<string, number>();
  const rows: Row[] = sets.map((set) => {
    const row: Row = new Map();
    for (const person of set) {
      let c = column.get(person);
      if (c === undefined) column.set(person, (c = column.size));
      row.set(c, 1n);
    }
    return row;
  });
  return reducedEchelon(rows).some((row) => row.size === 1);
}

/** Gauss–Jordan elimination of sparse rows modulo PRIME; answers the non-zero rows of the reduced form. */
function reducedEchelon(input: Row[]): Row[] {
  const basis: { pivot: number; row: Row }[] = [];
  for (const original of input) {
    let row: Row = new Map(original);
    // Reduce by the basis found so far, then normalise on the smallest remaining column.
    for (const { pivot, row: b } of basis) {
      const factor = row.get(pivot);
      if (factor) row = subtract(row, b, factor);
    }
    if (row.size === 0) continue;
    const pivot = Math.min(...row.keys());
    row = scale(row, inverse(row.get(pivot) as bigint));
    // Keep the basis fully reduced: clear the new pivot column from the rows before it.
    for (const entry of basis) {
      const factor = entry.row.get(pivot);
      if (factor) entry.row = subtract(entry.row, row, factor);
    }
    basis.push({ pivot, row });
  }
  return basis.map((b) => b.row);
}

/** row − factor × other, modulo PRIME, without zero entries. */
function subtract(row: Row, other: Row, factor: bigint): Row {
  const result: Row = new Map(row);
  for (const [c, v] of other) {
    const next = (((result.get(c) ?? 0n) - factor * v) % PRIME + PRIME) % PRIME;
    if (next === 0n) result.delete(c);
    else result.set(c, next);
  }
  return result;
}

function scale(row: Row, factor: bigint): Row {
  return new Map([...row].map(([c, v]) => [c, (v * factor) % PRIME]));
}

/** The inverse modulo PRIME (Fermat: a^(p−2)). */
function inverse(a: bigint): bigint {
  let result = 1n;
  let base = a % PRIME;
  for (let e = PRIME - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % PRIME;
    base = (base * base) % PRIME;
  }
  return result;
}
