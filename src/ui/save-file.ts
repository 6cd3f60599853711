/**
 * Saves bytes as a file the way a page can: a Blob URL behind an `<a download>` clicked once. The URL is
 * revoked shortly after, once the browser has started the download.
 */
export type SaveFile = (bytes: Uint8Array, name: string) => void;

export const saveFile: SaveFile = (bytes, name) => {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
};
