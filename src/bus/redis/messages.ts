import { randomBytes } from 'node:crypto';
import type { UserEvent } from '../../core/bus.ts';
import type { Offer } from '../local.ts';
import type { RedisLink } from './link.ts';

/** What one node asks another to do for its session of a user. */
export type NodeRequest = Offer | { kind: 'kick'; sessionId: string };

export type NodeMessage =
  /** Events for sessions of the node, in order (written by the DELIVER script: scripts.ts). */
  | { kind: 'events'; events: { handle: string; event: UserEvent }[] }
  /** One event: sent only by nodes of releases before DELIVER, still read while a cluster is upgraded node by node. */
  | { kind: 'event'; handle: string; event: UserEvent }
  | { kind: 'request'; id: string; from: string; handle: string; request: NodeRequest }
  | { kind: 'reply'; id: string; value: boolean };

/** What a node does with the messages of the others: its sessions'. */
export interface NodeMessageHandler {
  deliver(handle: string, event: UserEvent): void;
  answer(handle: string, request: NodeRequest): Promise<boolean>;
}

/**
 * Requests between nodes and their replies, each node on a channel of its own. The events for a
 * node's sessions reach its channel from RedisRoutes (DELIVER), which runs before the route lookup
 * of any later request: one node's messages keep their order.
 */
export class NodeMessages {
  private readonly pending = new Map<string, (value: boolean) => void>();

  constructor(
    private readonly link: RedisLink,
    /** How long a request may take before it counts as refused. */
    private readonly requestTimeoutMs: number,
  ) {}

  /** Asks another node to do something for its session of `handle`; false when it does not answer in time. */
  request(node: string, handle: string, request: NodeRequest): Promise<boolean> {
    const id = randomBytes(12).toString('hex');
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), this.requestTimeoutMs);
      const settle = (value: boolean): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(value);
      };
      this.pending.set(id, settle);
      this.link.guard(this.send(node, { kind: 'request', id, from: this.link.nodeId, handle, request })).catch(() => settle(false));
    });
  }

  /** A message from this node's channel. */
  receive(message: NodeMessage, handler: NodeMessageHandler): void {
    if (message.kind === 'event') return handler.deliver(message.handle, message.event);
    if (message.kind === 'events') {
      for (const { handle, event } of message.events) handler.deliver(handle, event);
      return;
    }
    if (message.kind === 'reply') return this.pending.get(message.id)?.(message.value);
    void handler
      .answer(message.handle, message.request)
      .then(
        (value) => this.send(message.from, { kind: 'reply', id: message.id, value }),
        () => this.send(message.from, { kind: 'reply', id: message.id, value: false }),
      )
      .catch(() => {});
  }

  /** Every request still waiting counts as refused. */
  close(): void {
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
  }

  private async send(node: string, message: NodeMessage): Promise<void> {
    await this.link.redis.publish(this.link.nodeChannel(node), JSON.stringify(message));
  }
}
