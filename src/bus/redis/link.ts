// The Redis connection as every part of the Redis bus uses it: its keys, and one guard around
// every call (a failed call marks the node for recovery and reaches core as 601).
import { createHash, randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { ChainableCommander, Redis } from 'ioredis';
import type { GoneUser } from '../../core/bus.ts';
import { ServiceUnavailableError } from '../../core/unavailable.ts';

/** A failed Redis call as core sees it: the bus is unavailable (MSNP5.md 13: 601). */
function unavailable(error: unknown): ServiceUnavailableError {
  return error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError('bus', error);
}

/** Runs a MULTI or pipeline; throws if any of its commands failed. */
export async function execAll(batch: ChainableCommander): Promise<unknown[]> {
  const results = await batch.exec();
  if (!results) throw new Error('transaction aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** A Lua script of the bus (scripts.ts), called by its SHA1 so that Redis neither receives nor hashes its text each time. */
export interface Script {
  readonly text: string;
  readonly sha: string;
}

export function script(text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/**
 * The commands written to `socket` in one turn of the event loop (those of every session) leave in
 * one socket write when the turn's I/O callbacks are done, and their replies come back together:
 * a socket write per command was the largest part of what the Redis bus cost a node.
 */
export function coalesceWrites(socket: Writable): void {
  const write = socket.write;
  let corked = false;
  socket.write = function (this: Writable, ...args: Parameters<Writable['write']>): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write.apply(this, args);
  } as Writable['write'];
}

/** {handle, seq, handle, seq, …} from a script. */
export function goneUsers(flat: unknown[]): GoneUser[] {
  const users: GoneUser[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) users.push({ handle: String(flat[i]), seq: Number(flat[i + 1]) });
  return users;
}

/** This node's connection to Redis, shared by the parts of its bus. */
export class RedisLink {
  readonly nodeId = randomBytes(8).toString('hex');
  /** A call failed since the last recovery: what Redis holds of this node may be stale. */
  degraded = false;

  constructor(
    readonly redis: Redis,
    /** Prefix of every key and channel. */
    readonly prefix: string,
  ) {}

  /** A Redis call; its failure marks this node for recovery and reaches core as ServiceUnavailableError. */
  async guard<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      this.degraded = true;
      throw unavailable(error);
    }
  }

  /**
   * Runs a script by its SHA1 (EVALSHA); a Redis that does not have it yet (started since, or
   * flushed) gets the text once (EVAL), which also caches it there.
   */
  async run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.text, keys.length, ...keys, ...args);
    }
  }

  key(kind: string, name = ''): string {
    return `${this.prefix}${kind}:${name}`;
  }

  /** The handles signed in on a node. */
  onlineKey(node: string): string {
    return `${this.prefix}online:${node}`;
  }

  /** The MSPAuths of a node's web sessions. */
  websKey(node: string): string {
    return `${this.prefix}webs:${node}`;
  }

  /** A node's alive key, written with every heartbeat. */
  aliveKey(node: string): string {
    return `${this.aliveKeyPrefix}${node}`;
  }

  /** What the alive keys start with, for the scripts that check a node's (ARGV, + the node's id). */
  get aliveKeyPrefix(): string {
    return `${this.prefix}node:`;
  }

  nodeChannel(node: string): string {
    return `${this.prefix}to:${node}`;
  }

  signalChannel(): string {
    return `${this.prefix}signals`;
  }
}
