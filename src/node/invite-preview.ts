/**
 * What an invitation is for, read without redeeming it: the grid's id and name, so a page can ask the
 * person before a link moves the node into another grid (issue 11, item 6). The bytes come from a link
 * anyone can craft: decoded by the same bounded reader as redemption, never throws, and says nothing
 * about whether the invitation is valid (redeeming checks that).
 */
import { gridIdOf, toHex } from '../core/index.ts';
import { readInvite } from './grids.ts';

export type InvitePreview = { ok: true; id: string; name: string } | { ok: false; reason: string };

export function previewInvite(urlOrCode: string): InvitePreview {
  try {
    const { descriptor } = readInvite(urlOrCode);
    return { ok: true, id: toHex(gridIdOf(descriptor.gridKey)), name: descriptor.name };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
