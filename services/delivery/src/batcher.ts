export interface BatcherOptions<In, Out> {
  /** Handles a batch; answers one outcome per item, in the items' order. */
  handle: (items: In[]) => Promise<Out[]>;
  maxSize: number;
  /** Batches handled at once; later items wait and join the next batch. */
  concurrency: number;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (outcome: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers items that arrive together (in one turn of the event loop, or while earlier batches are being
 * handled) and hands them over as one batch: concurrent writers share one statement, one commit and one
 * round trip instead of paying for each. Every caller still waits for its own item's outcome, and a
 * failed batch fails each of its callers.
 */
export class Batcher<In, Out> {
  private waiting: Waiting<In, Out>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(private readonly options: BatcherOptions<In, Out>) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.running >= this.options.concurrency) return;
    this.scheduled = true;
    // Deferred past the I/O callbacks of this turn, so the requests that arrived together go together.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
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
