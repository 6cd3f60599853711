/**
 * The storage server's adapter: decodes a peer's request, runs it through the pure `StorageServer` and
 * makes the outcome durable through a `ShareStore` before answering.
 *
 * Invariants:
 * - One operation at a time, in arrival order (a queue), so what a write read from the store is still
 *   what is there when its batch commits, and the server's state always equals what is on disk.
 * - A batch is applied to the server only after the store committed it; the answer is sent after that.
 *   A write is thereby acknowledged only once durable.
 * - A store refusal ('full' or 'closed') is the answer, and a write refused for space frees its whole
 *   unfinished share (counted against the caller in full until then), so no half-written share lingers.
 */
import { Op, decodeRequest, encodeAllocated, encodeShares, encodeVersion } from './storage-messages.ts';
import type { StorageRequest } from './storage-messages.ts';
import type { Reply } from './channel.ts';
import type { Batch, ShareStore } from './share-store.ts';
import { assemble } from './share-bytes.ts';
import type { Outcome, StorageServer } from './storage-server.ts';

const EMPTY = new Uint8Array(0);

export class StorageHandler {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly server: StorageServer,
    private readonly store: ShareStore,
    private readonly now: () => number,
    private readonly count: (counter: string, by?: number) => void,
    private readonly changed: () => void,
  ) {}

  /** Answers one request payload from `caller`. Never rejects. */
  handle(caller: string, payload: Uint8Array): Promise<Reply> {
    const decoded = decodeRequest(payload);
    if (!decoded.ok) {
      this.count(`storage.bad-request.${decoded.reason}`);
      return Promise.resolve({ ok: false, code: 'bad-request', message: decoded.reason });
    }
    return this.serial(() => this.run(caller, decoded.value));
  }

  /** Runs an owner's change (offer, quota, deletion, expiry) in the same queue as requests. */
  commitOwner(make: () => Batch): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
    return this.serial(async () => {
      const batch = make();
      if (!Object.values(batch).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined))) {
        return { ok: true as const };
      }
      const result = await this.store.commit(batch);
      if (result.ok) {
        this.server.apply(batch);
        this.changed();
      }
      return result;
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async commit<T>(outcome: Outcome<T>, body: (value: T) => Uint8Array): Promise<Reply> {
    if (!outcome.ok) {
      this.count(`storage.refused.${outcome.code}`);
      return outcome;
    }
    const result = await this.store.commit(outcome.batch);
    if (!result.ok) {
      this.count(`storage.store.${result.code}`);
      return result;
    }
    this.server.apply(outcome.batch);
    if (outcome.batch.shares?.length || outcome.batch.deleteShares?.length) this.changed();
    return { ok: true, body: body(outcome.value) };
  }

  private async run(caller: string, req: StorageRequest): Promise<Reply> {
    const s = this.server;
    const now = this.now();
    this.count(`storage.op.${Op[req.op]}`);
    switch (req.op) {
      case Op.Version:
        return this.commitQuietly(s.version(caller, now), (v) => encodeVersion(v.maxShareSize, v.available));
      case Op.Allocate:
        return this.commit(s.allocate(caller, now, req.si, req.shares, req.size, req.secret), (v) =>
          encodeAllocated(v.alreadyHave, v.allocated),
        );
      case Op.Write: {
        const plan = s.planWrite(caller, now, req.si, req.share, req.offset, req.bytes.length);
        if (!plan.ok) return this.commit(plan, () => EMPTY);
        const stored = await this.store.readChunks(plan.record.si, req.share, plan.first, plan.last);
        const outcome = s.write(caller, now, req.si, req.share, req.offset, req.bytes, stored);
        const reply = await this.commit(outcome, () => EMPTY);
        if (!reply.ok && reply.code === 'full') await this.free(plan.record.si, req.share);
        return reply;
      }
      case Op.Close:
        return this.commit(s.close(caller, now, req.si, req.share), () => EMPTY);
      case Op.Abort:
        return this.commit(s.abort(caller, now, req.si, req.share), () => EMPTY);
      case Op.List:
        return this.commitQuietly(s.list(caller, now, req.si), encodeShares);
      case Op.Read: {
        const plan = s.planRead(caller, now, req.si, req.share, req.offset, req.length);
        if (!plan.ok) return this.commit(plan, () => EMPTY);
        const stored = await this.store.readChunks(plan.si, req.share, plan.first, plan.last);
        s.apply(plan.batch);
        this.count('storage.read-bytes', plan.length);
        return { ok: true, body: assemble(stored, plan.first, plan.offset, plan.length) };
      }
      case Op.AddLease:
        return this.commit(s.addLease(caller, now, req.si), () => EMPTY);
      case Op.CancelLease:
        return this.commit(s.cancelLease(caller, now, req.si), () => EMPTY);
      case Op.AdviseCorrupt:
        this.count('storage.corrupt-advised');
        return this.commit(s.adviseCorrupt(caller, now, req.si, req.share, req.reason), () => EMPTY);
    }
  }

  /**
   * For requests that change nothing but the caller's last use: kept in memory only (written with the
   * caller's next change), so reading costs no transaction.
   */
  private async commitQuietly<T>(outcome: Outcome<T>, body: (value: T) => Uint8Array): Promise<Reply> {
    if (!outcome.ok) {
      this.count(`storage.refused.${outcome.code}`);
      return outcome;
    }
    this.server.apply(outcome.batch);
    return { ok: true, body: body(outcome.value) };
  }

  private async free(si: string, share: number): Promise<void> {
    const batch: Batch = { deleteShares: [{ si, share }] };
    const result = await this.store.commit(batch);
    if (result.ok) {
      this.server.apply(batch);
      this.changed();
    }
    this.count('storage.freed-on-full');
  }
}
