import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { GridController } from '../../../src/ui/controller.ts';
import { check, equal } from '../assert.ts';
import { FakeNode, SELF, peer } from './fake-node.ts';

class Host implements ReactiveControllerHost {
  updates = 0;
  controllers: ReactiveController[] = [];
  updateComplete = Promise.resolve(true);
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
  connect(): void {
    for (const c of this.controllers) c.hostConnected?.();
  }
  disconnect(): void {
    for (const c of this.controllers) c.hostDisconnected?.();
  }
}

function memoryStorage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  } as Storage & { data: Map<string, string> };
}

function setup(options: { maxActivity?: number; storage?: Storage } = {}) {
  const host = new Host();
  const node = new FakeNode();
  const controller = new GridController(host, { storage: options.storage ?? memoryStorage(), ...options });
  host.connect();
  controller.node = node;
  return { host, node, controller };
}

describe('GridController', () => {
  it('asks its host to render again when the node changes', () => {
    const { host, node } = setup();
    const before = host.updates;
    node.changed();
    node.dispatchEvent(new CustomEvent('peer-up', { detail: { id: 'v0-x' } }));
    equal(host.updates, before + 2);
  });

  it('stops listening when its host leaves the document', () => {
    const { host, node } = setup();
    host.disconnect();
    const before = host.updates;
    node.changed();
    equal(host.updates, before);
  });

  it('lists this node first, then online members, then the others by name', () => {
    const { node, controller } = setup();
    node.addPeer(peer('v0-bbbbbbbbbbbb', { nickname: 'bob' }));
    node.addPeer(peer('v0-cccccccccccc', { nickname: 'carol', connected: true }));
    node.addPeer(peer('v0-aaaaaaaaaaaa', { nickname: 'alice' }));
    equal(controller.members.map((m) => m.nickname).join(), 'me,carol,alice,bob');
    check(controller.members[1]!.online, 'a linked member is online');
    check(!controller.members[2]!.online, 'a member known only by gossip is not');
  });

  it("names an inviter by this user's petname over its nickname", () => {
    const { node, controller } = setup();
    node.addPeer(peer('v0-aaaaaaaaaaaa', { nickname: 'alice' }));
    node.addPeer(peer('v0-bbbbbbbbbbbb', { nickname: 'bob', invitedBy: 'v0-aaaaaaaaaaaa' }));
    equal(controller.members.find((m) => m.id === 'v0-bbbbbbbbbbbb')?.invitedByName, 'alice');
    controller.setPetname('v0-aaaaaaaaaaaa', 'Aunt Alice');
    equal(controller.members.find((m) => m.id === 'v0-bbbbbbbbbbbb')?.invitedByName, 'Aunt Alice');
  });

  it('keeps petnames in its storage and reads them back in a new controller', () => {
    const storage = memoryStorage();
    setup({ storage }).controller.setPetname(SELF, 'my laptop');
    const again = setup({ storage }).controller;
    equal(again.members.find((m) => m.self)?.name, 'my laptop');
    again.setPetname(SELF, '  ');
    equal(again.members.find((m) => m.self)?.petname, undefined, 'a blank petname removes it');
  });

  it('ignores stored petnames that are not strings', () => {
    const storage = memoryStorage();
    storage.setItem('gridnode:petnames', JSON.stringify({ [SELF]: { toString: 1 } }));
    equal(setup({ storage }).controller.members[0]!.petname, undefined);
  });

  it('keeps the newest activity entries up to its bound', () => {
    const { node, controller } = setup({ maxActivity: 3 });
    for (let i = 0; i < 5; i++) node.activity({ kind: 'join', id: `v0-${i}`, at: 1000 + i });
    equal(controller.activity.length, 3);
    equal(controller.activity.map((a) => a.id).join(), 'v0-2,v0-3,v0-4');
  });

  it('records why an action failed, for the panel that started it', async () => {
    const { node, controller } = setup();
    node.failWith = 'this invitation has expired';
    equal(await controller.acceptInvite('code'), undefined);
    equal(controller.errorOf('join'), 'this invitation has expired');
    equal(controller.errorOf('invite'), undefined);
    equal(controller.busy, undefined);
  });

  it('keeps the invitation it made', async () => {
    const { controller } = setup();
    await controller.createInvite({ expiresInMs: 3_600_000, canInvite: false });
    check(controller.invite?.url.includes('#invite='), 'the invitation is kept');
  });

  it('publishes a service switched on and unpublishes one switched off', async () => {
    const { node, controller } = setup();
    await controller.setService('storage', true);
    await controller.setService('grid-control', false);
    equal(
      JSON.stringify(node.calls),
      JSON.stringify([
        ['publish', 'storage', null],
        ['unpublish', 'grid-control'],
      ]),
    );
  });
});
