/**
 * Two real RTCPeerConnections in one page, linked over loopback host candidates, with the link's own
 * negotiated data channel (id 0) open on both; `link(side, peer)` makes the `ServiceLink` a service sees,
 * whose channels are further negotiated data channels on the same connection.
 */
import type { NodeId } from '../../../src/core/identity.ts';
import type { DataChannelLike, ServiceLink } from '../../../src/services/types.ts';

export interface RtcPair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** The link's own channel (id 0) on each side, open. */
  linkA: RTCDataChannel;
  linkB: RTCDataChannel;
  close(): void;
}

function opened(channel: RTCDataChannel): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    channel.addEventListener('open', () => resolve(), { once: true });
    channel.addEventListener('error', () => reject(new Error(`channel ${channel.label} failed`)), {
      once: true,
    });
  });
}

export async function rtcPair(): Promise<RtcPair> {
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  a.addEventListener('icecandidate', (e) => void (e.candidate && b.addIceCandidate(e.candidate)));
  b.addEventListener('icecandidate', (e) => void (e.candidate && a.addIceCandidate(e.candidate)));
  const linkA = a.createDataChannel('link', { negotiated: true, id: 0 });
  const linkB = b.createDataChannel('link', { negotiated: true, id: 0 });
  linkA.binaryType = linkB.binaryType = 'arraybuffer';
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  await Promise.all([opened(linkA), opened(linkB)]);
  return {
    a,
    b,
    linkA,
    linkB,
    close() {
      a.close();
      b.close();
    },
  };
}

export function serviceLink(
  pc: RTCPeerConnection,
  peer: NodeId,
): ServiceLink & { channels: RTCDataChannel[] } {
  const channels: RTCDataChannel[] = [];
  return {
    peer,
    channels,
    channel(label: string, id: number): DataChannelLike {
      const channel = pc.createDataChannel(label, { negotiated: true, id });
      channels.push(channel);
      return channel;
    },
  };
}
