/** A one-line progress display on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr
  ) {}

  update(done: number, counts: Record<string, number>, force = false): void {
    const now = Date.now();
    const interval = this.stream.isTTY ? 100 : 3000;
    if (!force && now - this.lastPrint < interval) return;
    this.lastPrint = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? (done / seconds).toFixed(1) : '0';
    const width = 24;
    const filled = this.total ? Math.round((done / this.total) * width) : width;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const detail = Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ');
    const line = `${this.label} [${bar}] ${done}/${this.total} (${rate}/s) ${detail}`;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(line + '\n');
  }

  finish(done: number, counts: Record<string, number>): void {
    this.update(done, counts, true);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
