/**
 * Node roles (seed 002, Tahoe #271): what a node offers is just the set of services it publishes.
 * - `client`: offers nothing (a laptop that only uploads and downloads). It still relays gossip on its
 *   links: every linked node forwards announcements, which is what lets a grid outlive any member.
 * - `storage`: a storage server for upload and download, and a grid-control point.
 * - `grid-control`: only helps others find the grid (what Tahoe's Introducer becomes under gossip): it
 *   stores no shares but accepts links from newcomers and forwards announcements.
 */
import type { Services } from './announcement.ts';

export type Role = 'client' | 'storage' | 'grid-control';

export const SERVICE = Object.freeze({
  storage: 'storage',
  uploadStorage: 'upload-storage',
  downloadStorage: 'download-storage',
  helper: 'helper',
  gridControl: 'grid-control',
});

export function servicesForRole(role: Role): Services {
  switch (role) {
    case 'client':
      return {};
    case 'storage':
      return {
        [SERVICE.storage]: {},
        [SERVICE.uploadStorage]: {},
        [SERVICE.downloadStorage]: {},
        [SERVICE.gridControl]: {},
      };
    case 'grid-control':
      return { [SERVICE.gridControl]: {} };
  }
}
