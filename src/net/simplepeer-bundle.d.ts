// The prebuilt UMD bundle of simple-peer (see simple-peer.ts for how it is loaded). It has no types of its
// own; `default` exists only where a bundler wraps it as CommonJS (Vite), hence `| undefined`.
declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: import('simple-peer').SimplePeer | undefined;
  export default SimplePeer;
}
