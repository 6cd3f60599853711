/**
 * A page that is not a secure context cannot run a node: browsers give Web Crypto (`crypto.subtle`, the
 * node's ed25519 key and every signature) and Web Locks (`navigator.locks`, one node per browser profile)
 * only to secure contexts, which are pages served over https, or from localhost
 * (https://w3c.github.io/webappsec-secure-contexts/). Opened over plain http under any other name, the page
 * says so in words instead of staying blank, and points at the https address.
 */

/** The page is not a secure context; it has been replaced by an explanation. */
export class InsecureContextError extends Error {
  override name = 'InsecureContextError';
}

/** Whether this page has what a node needs of a secure context. */
export function hasSecureContext(): boolean {
  return (
    globalThis.isSecureContext === true && globalThis.crypto?.subtle !== undefined && 'locks' in navigator
  );
}

/** Shows, in place of the page, that the node cannot start and why (e.g. a damaged stored identity). */
export function explainStartFailure(title: string, message: string, doc: Document = document): void {
  const main = doc.createElement('main');
  main.setAttribute('role', 'alert');
  main.id = 'start-failure';
  Object.assign(main.style, { maxWidth: '40rem', margin: '3rem auto', padding: '0 1rem' });
  const h = doc.createElement('h1');
  h.textContent = title;
  const p = doc.createElement('p');
  p.textContent = message;
  main.append(h, p);
  doc.body.replaceChildren(main);
}

/** Shows why the page cannot start, in place of the page. */
export function explainInsecureContext(doc: Document = document): void {
  const https = new URL(location.href);
  https.protocol = 'https:';
  const main = doc.createElement('main');
  main.setAttribute('role', 'alert');
  main.id = 'insecure-context';
  // Styled through the CSSOM: the page's Content-Security-Policy allows no inline style attributes.
  Object.assign(main.style, {
    maxWidth: '40rem',
    margin: '3rem auto',
    padding: '0 1rem',
    font: '16px/1.5 system-ui, sans-serif',
  });
  const title = doc.createElement('h1');
  title.textContent = 'This page needs https';
  const why = doc.createElement('p');
  why.textContent =
    `It was opened over plain http on ${location.hostname || 'this address'}. A grid node keeps its identity ` +
    'key and checks every signature with Web Crypto, and makes sure only one tab runs it with Web Locks; ' +
    'browsers offer both only on secure pages (https, or localhost), so the node cannot start here.';
  const fix = doc.createElement('p');
  fix.append('Open it over https instead: ');
  const link = doc.createElement('a');
  link.href = https.href;
  link.textContent = https.href;
  fix.append(link, '. Whoever runs this server can give it a certificate (see “Deploy” in the README).');
  main.append(title, why, fix);
  doc.body.replaceChildren(main);
}

/** Stops the page with an explanation unless it is a secure context. */
export function requireSecureContext(): void {
  if (hasSecureContext()) return;
  explainInsecureContext();
  throw new InsecureContextError(`not a secure context (${location.protocol}//${location.host})`);
}
