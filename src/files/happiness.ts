/**
 * Share placement by "servers of happiness" (Tahoe-LAFS immutable/happiness_upload.py,
 * docs/specifications/servers-of-happiness.rst), as a pure function.
 *
 * Happiness of a placement = the size of a maximum matching between servers and shares, where a server
 * is joined to a share it holds or will hold: the largest number of distinct servers that each hold a
 * different share. With happiness h ≥ k, any k of those h servers rebuild the file.
 *
 * The plan:
 * 1-2. a maximum matching (augmenting paths) over the servers in the given (permuted) order, each trying
 *    the shares it already holds first (they cost nothing to keep), then any share if it has room, so
 *    earlier servers of the permuted list are preferred;
 * 3. give each remaining share to the next server in permuted order with room, round robin, never more
 *    than ⌈N/S⌉ shares per server (S = servers usable) nor more than a server's own room.
 * The result is unhappy (a reason, not a throw) when the matching is smaller than `happy` or some share
 * finds no server.
 */
import { fail, ok, type Result } from './result.ts';

export interface Candidate {
  readonly id: string;
  /** How many new shares it can take (its space divided by the share size). */
  readonly room: number;
  /** Shares of this file it already holds. */
  readonly has: readonly number[];
}

export interface Placement {
  /** Share number → server id (a server that already has the share keeps it). */
  readonly owner: Map<number, string>;
  /** Shares each server must be sent (not those it already has). */
  readonly toSend: Map<string, number[]>;
  readonly happiness: number;
}

/** The maximum matching size of `edges` (server index → shares it may hold). */
export function maximumMatching(edges: readonly (readonly number[])[], n: number): Map<number, number> {
  const shareOwner = new Array<number>(n).fill(-1);
  const augment = (server: number, seen: boolean[]): boolean => {
    // A free share first, so earlier servers keep the shares they were matched to (and, for a server,
    // its first listed free share: held ones are listed first).
    for (const share of edges[server]!) {
      if (shareOwner[share] === -1) {
        shareOwner[share] = server;
        return true;
      }
    }
    for (const share of edges[server]!) {
      if (seen[share]) continue;
      seen[share] = true;
      if (shareOwner[share] === -1 || augment(shareOwner[share]!, seen)) {
        shareOwner[share] = server;
        return true;
      }
    }
    return false;
  };
  for (let server = 0; server < edges.length; server++) augment(server, new Array<boolean>(n).fill(false));
  const out = new Map<number, number>();
  shareOwner.forEach((server, share) => {
    if (server >= 0) out.set(share, server);
  });
  return out;
}

export function happinessOf(owner: ReadonlyMap<number, string>, n: number): number {
  const servers = [...new Set(owner.values())];
  const edges = servers.map((id) => [...owner].filter(([, o]) => o === id).map(([s]) => s));
  return maximumMatching(edges, n).size;
}

export function placeShares(candidates: readonly Candidate[], n: number, happy: number): Result<Placement> {
  const usable = candidates.filter((c) => c.room > 0 || c.has.some((s) => s >= 0 && s < n));
  if (usable.length === 0) return fail('unhappy: no server can take a share');
  const perServer = Math.ceil(n / usable.length);
  const heldEdges = usable.map((c) => [
    ...new Set(c.has.filter((s) => Number.isInteger(s) && s >= 0 && s < n)),
  ]);
  // Then every share a server with room could take, held shares tried first, so the matching keeps
  // them where it can.
  const owner = new Map<number, string>();
  const load = new Map<string, number>(usable.map((c) => [c.id, 0]));
  const sent = new Map<string, number[]>(usable.map((c) => [c.id, []]));
  const allEdges = usable.map((c, i) => {
    const room = Math.min(c.room, perServer);
    return room > 0
      ? [...new Set([...heldEdges[i]!, ...Array.from({ length: n }, (_, s) => s)])]
      : heldEdges[i]!;
  });
  const matchedKeptFirst = maximumMatching(
    allEdges.map((e, i) => [...heldEdges[i]!, ...e.filter((s) => !heldEdges[i]!.includes(s))]),
    n,
  );
  const holds = (i: number, s: number): boolean => heldEdges[i]!.includes(s);
  const give = (i: number, s: number): void => {
    const c = usable[i]!;
    owner.set(s, c.id);
    if (!holds(i, s)) {
      load.set(c.id, load.get(c.id)! + 1);
      sent.get(c.id)!.push(s);
    }
  };
  for (const [s, i] of matchedKeptFirst) give(i, s);
  // Shares already held anywhere stay where they are.
  heldEdges.forEach((shares, i) => shares.forEach((s) => owner.has(s) || give(i, s)));
  let cursor = 0;
  for (let s = 0; s < n; s++) {
    if (owner.has(s)) continue;
    let placed = false;
    for (let tries = 0; tries < usable.length && !placed; tries++) {
      const i = (cursor + tries) % usable.length;
      const c = usable[i]!;
      if (load.get(c.id)! < Math.min(c.room, perServer)) {
        give(i, s);
        cursor = i + 1;
        placed = true;
      }
    }
    if (!placed) return fail(`unhappy: no room for share ${s} (at most ${perServer} per server)`);
  }
  const happiness = happinessOf(owner, n);
  if (happiness < happy) {
    return fail(
      `unhappy: shares reach ${happiness} distinct servers, ${happy} needed (${usable.length} usable)`,
    );
  }
  const toSend = new Map([...sent].filter(([, shares]) => shares.length > 0));
  return ok({ owner, toSend, happiness });
}
