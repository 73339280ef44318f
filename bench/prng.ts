/**
 * A seeded PRNG (sfc32, 128-bit state), so the same seed and sizes build the same data set on every machine
 * and every run. Each patient gets its own stream, seeded from (seed, index) through splitmix32; a 32-bit
 * state would make all streams one cycle at different offsets, and neighbouring patients would share values.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    let mix = 0x9e3779b9;
    const next32 = (): number => {
      mix = (mix + 0x9e3779b9) | 0;
      let z = mix;
      for (const s of seeds) z = Math.imul(z ^ s, 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next32();
    this.b = next32();
    this.c = next32();
    this.d = next32();
    // The first outputs of sfc32 still show their seed; skip them.
    for (let i = 0; i < 12; i++) this.next();
  }

  static forItem(seed: number, index: number): Prng {
    return new Prng(seed, index);
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }

  /** Roughly normal (sum of uniforms), enough for lab values. */
  normal(mean: number, sd: number): number {
    let sum = 0;
    for (let i = 0; i < 6; i++) sum += this.next();
    return mean + (sum - 3) * sd * Math.SQRT2;
  }

  /** k distinct items, in random order. */
  sample<T>(list: readonly T[], k: number): T[] {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, k);
  }

  /**
   * A version-4-shaped UUID: random-looking from this stream, but its last twelve hex digits are `unique`
   * (a number below 2^48 the caller never repeats), so ids cannot collide however many are drawn.
   */
  uuid(unique: number): string {
    const hex = (n: number) => Math.floor(this.next() * 16 ** n).toString(16).padStart(n, '0');
    const variant = (8 + Math.floor(this.next() * 4)).toString(16);
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${unique.toString(16).padStart(12, '0')}`;
  }
}
