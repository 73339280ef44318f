/**
 * The inbox's worker for enhanced acknowledgment mode (issue 11): maps and stores the messages kept as
 * accepted and answered CA, in this process, until stopped. It looks at start (a restart finds what a killed
 * process left accepted), whenever a message is kept by any process (LISTEN on the inbox's channel), and every
 * RECHECK_MS besides (an announcement lost with a connection delays a message, never strands it). Each lane
 * takes one message at a time; the queue (store/inbox-queue.ts) keeps one patient's messages in order across
 * lanes and processes.
 */
import type { Logger } from '../core/logger';
import type { InboxQueue } from '../store/inbox-queue';
import type { Hl7Ingest } from './pipeline';

const RECHECK_MS = 5000;

export class InboxWorker {
  private stopping = false;
  private wakers: (() => void)[] = [];
  private lanes: Promise<void>[] = [];
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly ingest: Hl7Ingest,
    private readonly queue: InboxQueue,
    private readonly logger: Logger,
    /** Messages processed at once: about the database connections the process may spare for it. */
    private readonly laneCount: number
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.queue.listen(() => this.wake(), (err) => this.logger.warn({ err }, 'LISTEN for the inbox failed; the worker looks every few seconds'));
    this.lanes = Array.from({ length: this.laneCount }, () => this.lane());
  }

  /** Finishes the messages being processed, then stops; what is still accepted waits for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.lanes);
    await this.unlisten?.();
  }

  private wake(): void {
    for (const waker of this.wakers.splice(0)) waker();
  }

  private async lane(): Promise<void> {
    while (!this.stopping) {
      let more = false;
      try {
        more = await this.ingest.processNext();
      } catch (err) {
        // The database was lost: the message stays accepted, and the next look retries it.
        this.logger.warn({ err }, 'the inbox worker could not process a message; retrying later');
      }
      if (more || this.stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RECHECK_MS);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
