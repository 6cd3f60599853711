// The only module that touches simple-peer (unmaintained since 2022), so a native RTCPeerConnection link can
// replace it without touching anything else.
//
// We load the prebuilt browserify bundle, not the package's `index.js`: the bundle carries its own Buffer,
// events and stream shims, so neither Vite nor web-test-runner needs Node polyfills or a CommonJS transform.
// It is a UMD wrapper, which behaves differently per loader:
//  - Vite (dev pre-bundling and build) sees `module.exports = …` and treats it as CommonJS, so the
//    constructor arrives as the default export and no global is set;
//  - web-test-runner serves it untouched as an ES module: there is no `module`/`define`, so the wrapper
//    assigns `window.SimplePeer` and the module has no exports at all.
// A namespace import is valid in both cases (a missing `default` is just undefined), and we fall back to the
// global.
import * as bundle from 'simple-peer/simplepeer.min.js';
import type { Instance, Options, SimplePeer } from 'simple-peer';

export type { Instance as SimplePeerInstance, SignalData } from 'simple-peer';

export class SimplePeerLoadError extends Error {
  override name = 'SimplePeerLoadError';
}

let SimplePeerClass: SimplePeer | undefined;

function load(): SimplePeer {
  const candidate = bundle.default ?? (globalThis as { SimplePeer?: unknown }).SimplePeer;
  if (typeof candidate !== 'function') throw new SimplePeerLoadError('simple-peer bundle did not load');
  return candidate as SimplePeer;
}

export function createSimplePeer(options: Options): Instance {
  SimplePeerClass ??= load();
  return new SimplePeerClass(options);
}

// simple-peer does not expose its RTCPeerConnection or RTCDataChannel publicly; `_pc` and `_channel` are
// stable private fields of 9.x (the last release). All access to them is here, and they go away with a
// native link.
interface Internals {
  _pc?: RTCPeerConnection | null;
  _channel?: RTCDataChannel | null;
}

/** The peer's data channel, once it exists (the answerer gets it only when the offerer's channel arrives). */
export function dataChannelOf(peer: Instance): RTCDataChannel | undefined {
  return (peer as unknown as Internals)._channel ?? undefined;
}

/** The negotiated SCTP max-message-size (bytes), or undefined before the transport exists. */
export function maxMessageSizeOf(peer: Instance): number | undefined {
  return (peer as unknown as Internals)._pc?.sctp?.maxMessageSize ?? undefined;
}

/** The peer's RTCPeerConnection, for channels of its own beside simple-peer's (negotiated ones). */
export function peerConnectionOf(peer: Instance): RTCPeerConnection | undefined {
  return (peer as unknown as Internals)._pc ?? undefined;
}

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/**
 * The candidate types of the pair ICE selected (RFC 8445 §5.1.1.1; `relay` means through TURN), from
 * getStats(): the transport's selectedCandidatePairId (W3C webrtc-stats §7.13), or else the nominated
 * succeeded pair. Undefined before a pair is selected or once the connection is gone.
 */
export async function selectedCandidateTypesOf(
  peer: Instance,
): Promise<{ local: CandidateType; remote: CandidateType } | undefined> {
  const pc = (peer as unknown as Internals)._pc;
  if (!pc) return undefined;
  let report: RTCStatsReport;
  try {
    report = await pc.getStats();
  } catch {
    return undefined;
  }
  const all = [...report.values()] as Record<string, unknown>[];
  const selectedId = all.find(
    (s) => s.type === 'transport' && s.selectedCandidatePairId,
  )?.selectedCandidatePairId;
  const pair =
    all.find((s) => s.type === 'candidate-pair' && s.id === selectedId) ??
    all.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
  const typeOf = (id: unknown): CandidateType | undefined => {
    const type = all.find((s) => s.id === id)?.candidateType;
    return type === 'host' || type === 'srflx' || type === 'prflx' || type === 'relay' ? type : undefined;
  };
  const local = typeOf(pair?.localCandidateId);
  const remote = typeOf(pair?.remoteCandidateId);
  return local && remote ? { local, remote } : undefined;
}
