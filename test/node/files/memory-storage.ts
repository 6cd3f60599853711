/**
 * An in-memory StorageRemote: a test double for one storage server across the network (the real server
 * over real WebRTC is src/services/storage-*). It keeps Tahoe's storage semantics that the file layer
 * relies on: allocate is idempotent and reports shares already held, writes of equal bytes are fine and
 * of different bytes over written ones are a 'conflict', only closed shares are listed and readable,
 * reads past the end return fewer bytes. Behaviours for tests: offline, slow, refusing, a quota, and
 * corrupting reads.
 */
import {
  StorageError,
  type AllocateResult,
  type StorageRemote,
  type StorageVersion,
} from '../../../src/services/types.ts';
import type { NodeId } from '../../../src/core/index.ts';

export interface Behaviour {
  offline?: boolean;
  /** Milliseconds before each answer. */
  delayMs?: number;
  /** allocate rejects with this code. */
  refuse?: 'denied' | 'quota' | 'full';
  /** Bytes this caller may still store. */
  available?: number;
  /** Reads of these shares come back with byte `at` flipped (when in range). */
  corrupt?: { share: number; at: number }[];
  /** Writes start failing after this many. */
  failWritesAfter?: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class MemoryStorage implements StorageRemote {
  readonly id: NodeId;
  behaviour: Behaviour;
  readonly shares = new Map<string, Uint8Array>();
  readonly open = new Map<string, { bytes: Uint8Array; written: Uint8Array }>();
  readonly advised: { share: number; reason: string }[] = [];
  readonly calls: string[] = [];
  writes = 0;

  constructor(id: string, behaviour: Behaviour = {}) {
    this.id = id as NodeId;
    this.behaviour = behaviour;
  }

  async #gate(call: string): Promise<void> {
    this.calls.push(call);
    if (this.behaviour.delayMs) await new Promise((r) => setTimeout(r, this.behaviour.delayMs));
    if (this.behaviour.offline) throw new StorageError('closed', `${this.id} is offline`);
  }

  #used(): number {
    let used = 0;
    for (const s of this.shares.values()) used += s.length;
    for (const s of this.open.values()) used += s.bytes.length;
    return used;
  }

  async version(): Promise<StorageVersion> {
    await this.#gate('version');
    const available = (this.behaviour.available ?? 1 << 30) - this.#used();
    return { maxShareSize: 1 << 30, available: Math.max(0, available) };
  }

  async allocate(si: Uint8Array, shares: readonly number[], size: number): Promise<AllocateResult> {
    await this.#gate('allocate');
    if (this.behaviour.refuse) throw new StorageError(this.behaviour.refuse, 'refused');
    const alreadyHave: number[] = [];
    const allocated: number[] = [];
    for (const s of shares) {
      const key = `${hex(si)}/${s}`;
      if (this.shares.has(key)) alreadyHave.push(s);
      else if (this.open.has(key)) allocated.push(s);
      else if (this.#used() + size <= (this.behaviour.available ?? 1 << 30)) {
        this.open.set(key, { bytes: new Uint8Array(size), written: new Uint8Array(size) });
        allocated.push(s);
      }
    }
    return { alreadyHave, allocated };
  }

  async write(si: Uint8Array, share: number, offset: number, bytes: Uint8Array): Promise<void> {
    await this.#gate('write');
    if (this.behaviour.failWritesAfter !== undefined && this.writes >= this.behaviour.failWritesAfter) {
      throw new StorageError('closed', 'link lost');
    }
    this.writes++;
    const open = this.open.get(`${hex(si)}/${share}`);
    if (open === undefined) throw new StorageError('not-found', 'not allocated');
    if (offset + bytes.length > open.bytes.length) throw new StorageError('bad-request', 'past the end');
    for (let i = 0; i < bytes.length; i++) {
      if (open.written[offset + i] && open.bytes[offset + i] !== bytes[i])
        throw new StorageError('conflict', 'differs');
    }
    open.bytes.set(bytes, offset);
    open.written.fill(1, offset, offset + bytes.length);
  }

  async close(si: Uint8Array, share: number): Promise<void> {
    await this.#gate('close');
    const key = `${hex(si)}/${share}`;
    const open = this.open.get(key);
    if (open === undefined) throw new StorageError('not-found', 'not allocated');
    if (open.written.includes(0)) throw new StorageError('bad-request', 'share has holes');
    this.open.delete(key);
    this.shares.set(key, open.bytes);
  }

  async abort(si: Uint8Array, share: number): Promise<void> {
    await this.#gate('abort');
    this.open.delete(`${hex(si)}/${share}`);
  }

  async list(si: Uint8Array): Promise<number[]> {
    await this.#gate('list');
    const prefix = `${hex(si)}/`;
    return [...this.shares.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => Number(k.slice(prefix.length)));
  }

  async read(si: Uint8Array, share: number, offset: number, length: number): Promise<Uint8Array> {
    await this.#gate('read');
    const bytes = this.shares.get(`${hex(si)}/${share}`);
    if (bytes === undefined) throw new StorageError('not-found', 'no such share');
    const out = bytes.slice(offset, offset + length);
    for (const c of this.behaviour.corrupt ?? []) {
      if (c.share === share && c.at >= offset && c.at < offset + out.length) out[c.at - offset]! ^= 0xff;
    }
    return out;
  }

  async addLease(): Promise<void> {
    await this.#gate('addLease');
  }

  async cancelLease(): Promise<void> {
    await this.#gate('cancelLease');
  }

  async adviseCorrupt(_si: Uint8Array, share: number, reason: string): Promise<void> {
    await this.#gate('adviseCorrupt');
    this.advised.push({ share, reason });
  }

  /** Shares held complete, over all storage indexes. */
  heldShares(): number {
    return this.shares.size;
  }
}
