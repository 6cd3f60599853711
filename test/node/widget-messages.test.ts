/**
 * src/ui/grid-node-widget/messages.ts: every message between the embedding page and the widget's frame is
 * checked whole; a wrong type, field or size is dropped, never partly applied and never thrown on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readFrameMessage, readInit } from '../../src/ui/grid-node-widget/messages.ts';

const INIT = {
  type: 'gridnode-widget:init',
  relays: ['wss://relay.example', 'ws://127.0.0.1:8787'],
  dbName: 'gridnode-widget',
  nickname: 'kiosk',
  invitation: '#invite=abc',
};

describe('the widget’s postMessage API', () => {
  it('reads a valid init, copying only its fields', () => {
    assert.deepEqual(readInit({ ...INIT, sign: [1, 2, 3] }), INIT);
  });

  it('drops inits with a wrong relay, database name, size or type', () => {
    const wrong = [
      { ...INIT, type: 'gridnode-widget:sign' },
      { ...INIT, relays: ['https://relay.example'] },
      { ...INIT, relays: ['javascript:alert(1)'] },
      { ...INIT, relays: Array(9).fill('wss://a.example') },
      { ...INIT, relays: [`wss://${'a'.repeat(600)}`] },
      { ...INIT, relays: 'wss://a.example' },
      { ...INIT, dbName: '../gridnode' },
      { ...INIT, dbName: '' },
      { ...INIT, nickname: 7 },
      { ...INIT, invitation: 'x'.repeat(9000) },
      null,
      [INIT],
      'gridnode-widget:init',
    ];
    for (const data of wrong) assert.equal(readInit(data), undefined, JSON.stringify(data)?.slice(0, 80));
  });

  it('reads the frame’s status, members and asking messages', () => {
    const status = { status: 'online', id: 'v0-abc', grid: { id: 'aa', name: 'Home' }, error: undefined };
    assert.deepEqual(readFrameMessage({ type: 'gridnode-widget:status', status }), {
      type: 'gridnode-widget:status',
      status,
    });
    assert.deepEqual(
      readFrameMessage({ type: 'gridnode-widget:members', members: { online: 2, total: 3 } }),
      {
        type: 'gridnode-widget:members',
        members: { online: 2, total: 3 },
      },
    );
    assert.deepEqual(readFrameMessage({ type: 'gridnode-widget:asking', asking: true }), {
      type: 'gridnode-widget:asking',
      asking: true,
    });
  });

  it('drops frame messages of the wrong shape', () => {
    const wrong = [
      { type: 'gridnode-widget:status', status: { status: 'pwned' } },
      {
        type: 'gridnode-widget:status',
        status: { status: 'online', grid: { id: 'aa', name: 'x'.repeat(201) } },
      },
      { type: 'gridnode-widget:status', status: { status: 'online', grid: 'Home' } },
      { type: 'gridnode-widget:status', status: { status: 'online', error: 5 } },
      { type: 'gridnode-widget:members', members: { online: -1, total: 1 } },
      { type: 'gridnode-widget:members', members: { online: 1.5, total: 2 } },
      { type: 'gridnode-widget:members', members: { online: 1, total: 1e12 } },
      { type: 'gridnode-widget:asking', asking: 'yes' },
      { type: 'gridnode-widget:node' },
    ];
    for (const data of wrong)
      assert.equal(readFrameMessage(data), undefined, JSON.stringify(data).slice(0, 80));
  });

  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        readInit(data);
        readFrameMessage(data);
      }),
    );
  });
});
