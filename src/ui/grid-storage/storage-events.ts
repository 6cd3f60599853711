/**
 * The Storage panel's own intents (allow and deny go through the shared `grid-policy`). Like every
 * dashboard event they bubble and are composed; the shell turns them into `gridNode.storage` calls.
 */
export interface StorageEventDetails {
  /** Offer this many bytes to the grid (`gridNode.storage.setOffer`). */
  'grid-storage-offer': { bytes: number };
  /** Limit one client (`gridNode.storage.setQuota`); `bytes: undefined` removes its quota. */
  'grid-storage-quota': { id: string; bytes: number | undefined };
  /** Delete what one client stored here (`gridNode.storage.deleteClient`), confirmed by the user. */
  'grid-storage-delete': { id: string };
}

export type StorageEventName = keyof StorageEventDetails;

export function emitStorage<K extends StorageEventName>(
  host: HTMLElement,
  type: K,
  detail: StorageEventDetails[K],
) {
  return host.dispatchEvent(
    new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

declare global {
  interface GlobalEventHandlersEventMap {
    'grid-storage-offer': CustomEvent<StorageEventDetails['grid-storage-offer']>;
    'grid-storage-quota': CustomEvent<StorageEventDetails['grid-storage-quota']>;
    'grid-storage-delete': CustomEvent<StorageEventDetails['grid-storage-delete']>;
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1536` → `'1.5 KiB'`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits).replace(/\.0+$|(\.\d*[1-9])0+$/, '$1')} ${UNITS[unit]}`;
}

export const MIB = 1024 * 1024;
