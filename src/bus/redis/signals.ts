import type { Signal, Signals } from '../../core/bus.ts';
import { LocalSignals } from '../local.ts';
import type { RedisLink } from './link.ts';

/** Signals over one channel that every node listens on; this node's listeners hear them at once. */
export class RedisSignals implements Signals {
  private readonly local = new LocalSignals();

  constructor(private readonly link: RedisLink) {}

  send(signal: Signal): void {
    this.local.tell(signal);
    const message = JSON.stringify({ from: this.link.nodeId, signal });
    void this.link.guard(this.link.redis.publish(this.link.signalChannel(), message)).catch(() => {});
  }

  on(listener: (signal: Signal) => void): void {
    this.local.on(listener);
  }

  /** A signal from the channel. */
  receive({ from, signal }: { from: string; signal: Signal }): void {
    // This node's listeners heard it when it was sent.
    if (from === this.link.nodeId) return;
    this.local.tell(signal);
  }
}
