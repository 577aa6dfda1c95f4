export interface BatcherOptions<In, Out> {
  /** Handles a batch; answers one outcome per item, in the items' order. */
  handle: (items: In[]) => Promise<Out[]>;
  maxSize: number;
  /** Batches handled at once; later items wait and join the next batch. */
  concurrency: number;
  /**
   * How long a batch may wait for company after its first item arrived (0: only for the items of the same
   * turn of the event loop). Every batch costs round trips and system calls whatever its size, so a few
   * milliseconds spent gathering are paid back many times under load.
   */
  lingerMs?: number;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (outcome: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers items that arrive together (within `lingerMs` of the first, or while earlier batches are being
 * handled) and hands them over as one batch: concurrent writers share one statement, one commit and one
 * round trip instead of paying for each. Every caller still waits for its own item's outcome, and a
 * failed batch fails each of its callers.
 */
export class Batcher<In, Out> {
  private waiting: Waiting<In, Out>[] = [];
  private firstWaitingSince = 0;
  private running = 0;
  private scheduled = false;

  constructor(private readonly options: BatcherOptions<In, Out>) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      if (this.waiting.length === 0) this.firstWaitingSince = performance.now();
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.running >= this.options.concurrency) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      void this.run();
    };
    const full = this.waiting.length >= this.options.maxSize;
    const delayMs = full ? 0 : this.firstWaitingSince + (this.options.lingerMs ?? 0) - performance.now();
    // Deferred at least past the I/O callbacks of this turn, so the requests that arrived together go together.
    if (delayMs >= 1) setTimeout(start, delayMs);
    else setImmediate(start);
  }

  private async run(): Promise<void> {
    const batch = this.waiting.splice(0, this.options.maxSize);
    if (batch.length === 0) return;
    this.running += 1;
    this.schedule();
    try {
      const outcomes = await this.options.handle(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(outcomes[i] as Out));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.running -= 1;
      this.schedule();
    }
  }
}
