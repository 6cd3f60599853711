// The browser runtime has what a grid node needs: WebCrypto Ed25519, IndexedDB, WebRTC data channels,
// Web Locks and BroadcastChannel.
import { check, within } from './assert.ts';

describe('platform', () => {
  it('WebCrypto signs and verifies Ed25519, including with an imported raw public key', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const data = new TextEncoder().encode('announcement');
    const signature = await crypto.subtle.sign('Ed25519', keys.privateKey, data);
    check(signature.byteLength === 64, 'signature is 64 bytes');

    const raw = await crypto.subtle.exportKey('raw', keys.publicKey);
    check(raw.byteLength === 32, 'raw public key is 32 bytes');
    const imported = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    check(await crypto.subtle.verify('Ed25519', imported, signature, data), 'signature verifies');

    const tampered = new Uint8Array(data);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    check(!(await crypto.subtle.verify('Ed25519', imported, signature, tampered)), 'tampered data fails');
  });

  it('IndexedDB opens a database and round-trips a value', async () => {
    const name = `platform-test-${crypto.randomUUID()}`;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('kv');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const value = new Uint8Array([1, 2, 3]);
    const read = await new Promise<unknown>((resolve, reject) => {
      const tx = db.transaction('kv', 'readwrite');
      tx.objectStore('kv').put(value, 'k');
      const get = tx.objectStore('kv').get('k');
      tx.oncomplete = () => resolve(get.result);
      tx.onerror = () => reject(tx.error);
    });
    check(read instanceof Uint8Array && read.join() === '1,2,3', 'value round-trips');
    db.close();
    indexedDB.deleteDatabase(name);
  });

  it('RTCPeerConnection opens a data channel between two local peers', async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
      b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
      const received = new Promise<string>((resolve) => {
        b.ondatachannel = (e) => (e.channel.onmessage = (m) => resolve(String(m.data)));
      });
      const channel = a.createDataChannel('gossip');
      const opened = new Promise<void>((resolve) => (channel.onopen = () => resolve()));
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);
      await within(10_000, 'data channel open', opened);
      channel.send('ping');
      check((await within(10_000, 'message', received)) === 'ping', 'message arrives');
    } finally {
      a.close();
      b.close();
    }
  });

  it('Web Locks grants an exclusive lock', async () => {
    check(navigator.locks, 'navigator.locks exists');
    const name = `platform-test-${crypto.randomUUID()}`;
    const order: string[] = [];
    const first = navigator.locks.request(name, async () => {
      order.push('first:start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('first:end');
    });
    const second = navigator.locks.request(name, () => void order.push('second'));
    await Promise.all([first, second]);
    check(order.join() === 'first:start,first:end,second', `lock is exclusive (${order.join()})`);
  });

  it('BroadcastChannel delivers a message to another channel of the same name', async () => {
    const name = `platform-test-${crypto.randomUUID()}`;
    const sender = new BroadcastChannel(name);
    const receiver = new BroadcastChannel(name);
    try {
      const received = new Promise<unknown>((resolve) => (receiver.onmessage = (e) => resolve(e.data)));
      sender.postMessage({ hello: 'tab' });
      const data = await within(5_000, 'broadcast', received);
      check((data as { hello?: string }).hello === 'tab', 'message arrives');
    } finally {
      sender.close();
      receiver.close();
    }
  });
});
