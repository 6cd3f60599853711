// The built app (dist/) as the one-port server sends it: every file read once at start into memory, with
// its content type, caching and security headers decided here. Serving only files listed at start means a
// request path is a key into a table, never a path on disk, so no request can reach outside the folder.
//
// Caching: Vite names what it puts in assets/ by content hash, so those are immutable for a year; the
// entry points keep their names across builds (index.html, widget.js) and are revalidated on every use
// (no-cache with an ETag); anything else (favicon) for an hour.
//
// Security headers: the dashboard runs under a Content-Security-Policy that allows only this origin's
// scripts and styles (lit uses constructable style sheets, which CSP does not restrict), and connections to
// WebSocket relays anywhere (`?relay=` may name another relay; WebRTC itself is outside CSP). Pages may not
// frame it, except the widget's frame (widget-frame.html), which exists to be framed by any page: the node
// it runs stays in this origin, and joining is a click inside it (src/widget-frame.ts). Scripts and source maps carry CORS and cross-origin resource headers so other sites can embed
// widget.js. No referrer leaves the page: links and the relay must not learn the page's address.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

// Bounds on what is loaded: a build is a few MiB; past these the folder is not a build of this app.
const MAX_FILES = 2_000;
const MAX_TOTAL_BYTES = 128 * 1024 * 1024;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const WIDGET_FRAME = '/widget-frame.html';
/** The widget's frame may be embedded anywhere; everything else is as strict as the dashboard. */
export const WIDGET_FRAME_POLICY = CONTENT_SECURITY_POLICY.replace(
  "frame-ancestors 'none'",
  'frame-ancestors *',
);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface StaticFile {
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
}

/** The folder is missing, too large or not a build: a deployment error, reported at start. */
export class StaticSiteError extends Error {
  override name = 'StaticSiteError';
}

/** Headers every response of the server carries, static or not. */
export function commonHeaders(secure: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(secure ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

function cacheControl(path: string): string {
  if (path.startsWith('/assets/')) return 'public, max-age=31536000, immutable';
  if (path === '/index.html' || path === WIDGET_FRAME || path === '/widget.js' || path.endsWith('.map'))
    return 'no-cache';
  return 'public, max-age=3600';
}

function headersFor(path: string, secure: boolean): Record<string, string> {
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    ...commonHeaders(secure),
    'content-type': type,
    'cache-control': cacheControl(path),
  };
  if (path === WIDGET_FRAME) {
    Object.assign(headers, {
      'content-security-policy': WIDGET_FRAME_POLICY,
      'cross-origin-resource-policy': 'cross-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    });
  } else if (type.startsWith('text/html')) {
    Object.assign(headers, {
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    });
  } else {
    // Scripts, maps and images may be used by other origins (the embeddable widget and its chunks).
    Object.assign(headers, {
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    });
  }
  return headers;
}

/** Reads every file under `root` (a Vite build with index.html) into a table keyed by URL path. */
export function loadStaticFiles(root: string, secure: boolean): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      // Dot files (the build stamp, editor files) are not part of the site.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      if (files.size >= MAX_FILES) throw new StaticSiteError(`more than ${MAX_FILES} files in ${root}`);
      total += statSync(full).size;
      if (total > MAX_TOTAL_BYTES) throw new StaticSiteError(`more than ${MAX_TOTAL_BYTES} bytes in ${root}`);
      const path = '/' + relative(root, full).split(sep).join('/');
      const body = readFileSync(full);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(path, { body, etag, headers: { ...headersFor(path, secure), etag } });
    }
  };
  try {
    walk(root);
  } catch (error) {
    if (error instanceof StaticSiteError) throw error;
    throw new StaticSiteError(`cannot read ${root}: ${(error as Error).message}`);
  }
  if (!files.has('/index.html')) throw new StaticSiteError(`${root} has no index.html: build the app first`);
  return files;
}
