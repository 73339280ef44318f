/** Progress on stderr (stdout carries only the results), at most one line every two seconds per phase. */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;

  constructor(
    private readonly phase: string,
    private readonly total?: number,
    private readonly unit = 'items'
  ) {
    log(`${phase}: started`);
  }

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastPrint < 2000) return;
    this.lastPrint = now;
    const rate = done / ((now - this.started) / 1000);
    const of = this.total ? `/${this.total.toLocaleString('en-US')}` : '';
    log(`${this.phase}: ${done.toLocaleString('en-US')}${of} ${this.unit}, ${Math.round(rate).toLocaleString('en-US')} ${this.unit}/s`);
  }

  done(summary: string): void {
    log(`${this.phase}: done in ${((Date.now() - this.started) / 1000).toFixed(1)} s, ${summary}`);
  }
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
