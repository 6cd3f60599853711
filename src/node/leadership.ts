/**
 * One browser profile runs one node: the tab holding the Web Lock `gridnode:<db>` is the leader and runs
 * it; other tabs are followers that mirror its state over a BroadcastChannel of the same name and forward
 * calls to it. When the leader tab closes, its lock is released and the next waiting follower takes over
 * at once (the browser hands the lock to the next waiter).
 *
 * Channel messages: `hello` (a follower asks for the state), `snapshot` (the leader's state, at most one
 * per 100 ms), `command` (a follower's call). Messages come from tabs of the same origin, which run this
 * same code, so they are trusted as much as the page itself.
 */
import type { Command, NodeRole, Snapshot } from './types.ts';

type ChannelMessage =
  { kind: 'snapshot'; snapshot: Snapshot } | { kind: 'command'; command: Command } | { kind: 'hello' };

const SNAPSHOT_DELAY_MS = 100;

export interface LeadershipHooks {
  /** This tab got the lock: run the node. Resolves once it runs. */
  lead(): Promise<void>;
  role(role: NodeRole): void;
  /** The leader's state now, for followers. */
  snapshot(): Snapshot;
  /** A follower's call, to run here (in the leader). */
  command(command: Command): void;
  /** A follower received the leader's state. */
  followed(): void;
}

export class Leadership {
  role: NodeRole = 'starting';
  /** The leader's latest state, in a follower. */
  snapshot: Snapshot | undefined;
  private channel: BroadcastChannel | undefined;
  private releaseLock: (() => void) | undefined;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly name: string,
    private readonly hooks: LeadershipHooks,
  ) {}

  /**
   * Leads if no other tab of this profile does; otherwise follows the one that does, and takes over when
   * it goes. Resolves once this tab is either leader or follower.
   */
  async start(): Promise<void> {
    this.channel = new BroadcastChannel(this.name);
    this.channel.onmessage = (e: MessageEvent<ChannelMessage>) => this.onChannel(e.data);
    let becameLeader!: () => void;
    const leading = new Promise<void>((resolve) => (becameLeader = resolve));
    const held = new Promise<void>((resolve) => (this.releaseLock = resolve));
    const tryLock = (ifAvailable: boolean): Promise<boolean> =>
      navigator.locks.request(this.name, { ifAvailable }, async (lock): Promise<boolean> => {
        if (!lock) return false;
        await this.hooks.lead();
        becameLeader();
        await held;
        return true;
        // lib.dom types the result as a promise of the callback’s promise; the browser resolves it to its value.
      }) as unknown as Promise<boolean>;
    const got = tryLock(true);
    const first = await Promise.race([
      got.then((ok) => (ok ? 'leader' : 'follower')),
      leading.then(() => 'leader'),
    ]);
    if (first === 'leader') return;
    this.setRole('follower');
    this.channel.postMessage({ kind: 'hello' } satisfies ChannelMessage);
    void tryLock(false);
  }

  /** Closes the channel and releases (or stops waiting for) the lock. */
  stop(): void {
    clearTimeout(this.snapshotTimer);
    this.channel?.close();
    this.releaseLock?.();
    this.setRole('stopped');
  }

  setRole(role: NodeRole): void {
    this.role = role;
    this.hooks.role(role);
  }

  /** The leader's state changed: followers hear of it soon (changes within 100 ms coalesce). */
  changed(): void {
    if (this.role !== 'leader' || this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.broadcastSnapshot();
    }, SNAPSHOT_DELAY_MS);
  }

  /** Hands a follower's call to the leader. */
  forward(command: Command): void {
    this.channel?.postMessage({ kind: 'command', command } satisfies ChannelMessage);
  }

  private broadcastSnapshot(): void {
    if (this.role !== 'leader') return;
    this.channel?.postMessage({ kind: 'snapshot', snapshot: this.hooks.snapshot() } satisfies ChannelMessage);
  }

  private onChannel(message: ChannelMessage): void {
    if (this.role === 'leader') {
      if (message.kind === 'hello') this.broadcastSnapshot();
      if (message.kind === 'command') this.hooks.command(message.command);
    } else if (this.role === 'follower' && message.kind === 'snapshot') {
      this.snapshot = message.snapshot;
      this.hooks.followed();
    }
  }
}
