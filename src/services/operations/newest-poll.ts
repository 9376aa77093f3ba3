/**
 * The newest worker poll a process has seen. Temporal lists a poller only for five minutes
 * after its last poll: without this memory, a worker outage would turn "the last poll was 10
 * minutes ago" into "no poll seen", and an alert on the time since the last poll would resolve
 * by itself while no worker takes the work.
 */
export class NewestPoll {
  private newestSeconds = 0;

  /** Seconds since the newest poll seen so far, given the newest one the engine lists now (0: none listed); null before any was seen. */
  secondsAgo(listedNewestSeconds: number, nowSeconds: number): number | null {
    this.newestSeconds = Math.max(this.newestSeconds, listedNewestSeconds);
    return this.newestSeconds > 0 ? Math.max(0, nowSeconds - this.newestSeconds) : null;
  }
}
