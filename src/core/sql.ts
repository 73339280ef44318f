/**
 * A tiny SQL builder: fragments carry their text and bound values together, so composing a query never
 * concatenates user input into SQL. Placeholders are numbered only when the final statement is rendered.
 */
import { createHash } from 'node:crypto';

export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly unknown[],
    /** Kept prepared on each connection (see `prepared`). */
    readonly isPrepared = false
  ) {}

  /**
   * The same statement, parsed and planned once per connection and then only executed (a named prepared
   * statement on PostgreSQL, named after its text). For the hot statements whose text has a fixed shape
   * (reads by id, the write batches), never for searches: their text varies without bound, and a plan made
   * once for every value would not fit a rare code and a common one alike.
   */
  prepared(): Sql {
    return new Sql(this.parts, this.values, true);
  }

  /** Renders `$1, $2, …` placeholders in order. */
  toQuery(): { text: string; values: unknown[]; name?: string } {
    let text = this.parts[0];
    for (let i = 0; i < this.values.length; i++) {
      text += `$${i + 1}` + this.parts[i + 1];
    }
    return { text, values: [...this.values], ...(this.isPrepared ? { name: `tonet_${createHash('sha1').update(text).digest('hex')}` } : {}) };
  }

  isEmpty(): boolean {
    return this.values.length === 0 && this.parts.every((p) => p.trim() === '');
  }
}

type Interpolated = Sql | unknown;

/** Tagged template: sql`a = ${value}`; nested Sql fragments are spliced in, everything else is bound. */
export function sql(strings: TemplateStringsArray, ...args: Interpolated[]): Sql {
  const parts: string[] = [strings[0]];
  const values: unknown[] = [];
  args.forEach((arg, i) => {
    if (arg instanceof Sql) {
      parts[parts.length - 1] += arg.parts[0];
      for (let j = 0; j < arg.values.length; j++) {
        values.push(arg.values[j]);
        parts.push(arg.parts[j + 1]);
      }
      parts[parts.length - 1] += strings[i + 1];
    } else {
      values.push(arg);
      parts.push(strings[i + 1]);
    }
  });
  return new Sql(parts, values);
}

/** Trusted SQL text (identifiers and keywords chosen by code, never by users). */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

export function join(fragments: readonly Sql[], separator: string): Sql {
  if (fragments.length === 0) {
    return raw('');
  }
  return fragments.slice(1).reduce((acc, f) => sql`${acc}${raw(separator)}${f}`, fragments[0]);
}

export function and(fragments: readonly Sql[]): Sql {
  return fragments.length === 0 ? raw('TRUE') : sql`(${join(fragments, ' AND ')})`;
}

export function or(fragments: readonly Sql[]): Sql {
  return fragments.length === 0 ? raw('FALSE') : sql`(${join(fragments, ' OR ')})`;
}
