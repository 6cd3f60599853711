/**
 * The Files panel's intents. Like every dashboard event they bubble and are composed; the shell turns
 * them into `gridNode.files` calls through its files controller.
 */
export interface FilesEventDetails {
  /** Upload these files (picked or dropped), each under its own name. */
  'grid-files-upload': { files: File[]; convergent: boolean; club: string | undefined };
  /** Download and save one file. */
  'grid-files-download': { cap: string; name: string };
  /** The share link of a file was shown (and put on the clipboard if `copied`). */
  'grid-files-link': { cap: string; link: string; copied: boolean };
  /** Drop a file from this node's list (confirmed by the user). */
  'grid-files-remove': { cap: string };
  /** Stop following the share link the page was opened with. */
  'grid-files-link-cancel': Record<string, never>;
  'grid-files-notice-dismiss': { seq: number };
  /** Clear the finished transfers from the list. */
  'grid-files-clear': Record<string, never>;
}

export type FilesEventName = keyof FilesEventDetails;

export function emitFiles<K extends FilesEventName>(
  host: HTMLElement,
  type: K,
  detail: FilesEventDetails[K],
) {
  return host.dispatchEvent(
    new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

declare global {
  interface GlobalEventHandlersEventMap {
    'grid-files-upload': CustomEvent<FilesEventDetails['grid-files-upload']>;
    'grid-files-download': CustomEvent<FilesEventDetails['grid-files-download']>;
    'grid-files-link': CustomEvent<FilesEventDetails['grid-files-link']>;
    'grid-files-remove': CustomEvent<FilesEventDetails['grid-files-remove']>;
    'grid-files-link-cancel': CustomEvent<FilesEventDetails['grid-files-link-cancel']>;
    'grid-files-notice-dismiss': CustomEvent<FilesEventDetails['grid-files-notice-dismiss']>;
    'grid-files-clear': CustomEvent<FilesEventDetails['grid-files-clear']>;
  }
}
