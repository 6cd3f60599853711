/**
 * Which address-bar parameters a dashboard page obeys, by build.
 *
 * Rules (issue 11, item 6; SECURITY-REVIEW.md finding 10):
 * - `?config=` (protocol settings) and `?grid=` (an open development grid, no membership) change what a
 *   node signs and whom it runs with, so a link that carries them is an attack on whoever opens it. They
 *   are obeyed only in a *trial build*: the one `npm start`, `vite` (dev) and the test harnesses make
 *   (Vite mode `trial` or `development`). The build meant to be served to others (`npm run build`, mode
 *   `production`, the default) ignores them and says so on the console.
 * - `?relay=` applies to this session only (never stored, never merged into an invitation's relays), so a
 *   crafted link cannot leave a node on an attacker's relay; relays are kept only when chosen in the
 *   dashboard or adopted from an invitation the person accepted.
 * - `?db=` and `?nick=` only pick a local database and a first nickname; every build obeys them.
 * Invalid `?config=` is refused as a whole (checked as the node would check it), never partly applied.
 */
import { type CoreConfig, resolveConfig } from './core/config.ts';

/** Vite modes whose builds obey the trial-only parameters. */
export const TRIAL_MODES: readonly string[] = ['trial', 'development'];

export interface PageOptions {
  relays: string[] | undefined;
  dbName: string | undefined;
  nickname: string | undefined;
  gridName: string | undefined;
  config: Partial<CoreConfig> | undefined;
  /** `?config=`'s `maxLinks`: the most links the mesh keeps, inbound included (not a core setting). */
  maxLinks: number | undefined;
  /** Why a parameter was not obeyed, one line each, for the console. */
  ignored: string[];
}

/** The options a page's address asks for, as far as a build of `mode` obeys them. Never throws. */
export function pageOptions(params: URLSearchParams, mode: string): PageOptions {
  const trial = TRIAL_MODES.includes(mode);
  const ignored: string[] = [];
  const trialOnly = (name: string): string | undefined => {
    const value = params.get(name);
    if (value !== null && !trial) ignored.push(`?${name}= ignored: only trial builds obey it`);
    return trial && value !== null ? value : undefined;
  };
  const gridName = trialOnly('grid');
  const configText = trialOnly('config');
  let config: Partial<CoreConfig> | undefined;
  let maxLinks: number | undefined;
  if (configText !== undefined) {
    const checked = checkConfig(configText);
    if (typeof checked === 'string') ignored.push(`?config= ignored: ${checked}`);
    else ({ config, maxLinks } = checked);
  }
  const relays = params.getAll('relay').filter((u) => /^wss?:\/\//.test(u));
  return {
    relays: relays.length > 0 ? relays : undefined,
    dbName: params.get('db') ?? undefined,
    nickname: params.get('nick') ?? undefined,
    gridName,
    config,
    maxLinks,
    ignored,
  };
}

/** Protocol settings checked as the node would check them (and `maxLinks` apart), or why they are refused. */
function checkConfig(text: string): { config: Partial<CoreConfig>; maxLinks: number | undefined } | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not an object';
  const { maxLinks, ...rest } = parsed as Partial<CoreConfig> & { maxLinks?: unknown };
  if (maxLinks !== undefined && !(Number.isSafeInteger(maxLinks) && (maxLinks as number) >= 1))
    return 'maxLinks must be a positive integer';
  try {
    resolveConfig(rest);
  } catch (error) {
    return (error as Error).message;
  }
  return { config: rest, maxLinks: maxLinks as number | undefined };
}
