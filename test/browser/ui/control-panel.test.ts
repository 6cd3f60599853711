import '../../../src/ui/grid-control-panel/define.ts';
import type { GridControlPanel } from '../../../src/ui/grid-control-panel/grid-control-panel.ts';
import { parseIceServers, parseRelays } from '../../../src/ui/grid-control-panel/parse.ts';
import { check, equal } from '../assert.ts';
import { SELF, collect, member, mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';

async function panel(fields: Partial<GridControlPanel> = {}): Promise<GridControlPanel> {
  const el = document.createElement('grid-control-panel');
  Object.assign(el, {
    nickname: 'me',
    services: ['storage'],
    relays: ['wss://relay.example'],
    iceServers: [{ urls: 'stun:stun.example:3478' }],
    members: [member(SELF, { self: true }), member(A, { nickname: 'alice' })],
    ...fields,
  });
  return mount(el);
}

const $ = <T extends Element>(el: GridControlPanel, selector: string) =>
  shadow(el).querySelector(selector) as T;
const details = (events: CustomEvent[]) => JSON.stringify(events.map((e) => e.detail));

describe('<grid-control-panel>', () => {
  afterEach(() => document.querySelectorAll('grid-control-panel').forEach((e) => e.remove()));

  it('asks to change the nickname', async () => {
    const el = await panel();
    const events = collect(document, 'grid-nickname');
    equal($<HTMLInputElement>(el, '#nickname').value, 'me');
    $<HTMLInputElement>(el, '#nickname').value = 'laptop ';
    $<HTMLFormElement>(el, '[part=nickname] form').requestSubmit();
    equal(details(events), JSON.stringify([{ nickname: 'laptop' }]));
  });

  it('shows the services offered and asks to publish or unpublish one', async () => {
    const el = await panel();
    const events = collect(el, 'grid-service');
    check($<HTMLInputElement>(el, 'input[name=storage]').checked, 'storage is offered');
    check(!$<HTMLInputElement>(el, 'input[name=grid-control]').checked, 'grid control is not');
    $<HTMLInputElement>(el, 'input[name=grid-control]').click();
    $<HTMLInputElement>(el, 'input[name=storage]').click();
    equal(
      details(events),
      JSON.stringify([
        { service: 'grid-control', offered: true },
        { service: 'storage', offered: false },
      ]),
    );
  });

  it('asks to save relays, one a line, and refuses a URL that is not ws:// or wss://', async () => {
    const el = await panel();
    const events = collect(el, 'grid-relays');
    const field = $<HTMLTextAreaElement>(el, '#relays');
    field.value = 'wss://a.example\n\n ws://127.0.0.1:8787 ';
    $<HTMLFormElement>(el, '[part=relays] form').requestSubmit();
    equal(details(events), JSON.stringify([{ relays: ['wss://a.example', 'ws://127.0.0.1:8787'] }]));
    field.value = 'https://a.example';
    $<HTMLFormElement>(el, '[part=relays] form').requestSubmit();
    await el.updateComplete;
    equal(events.length, 1);
    equal(field.getAttribute('aria-invalid'), 'true');
    check($(el, '#relays-error').textContent!.includes('ws://'), 'the error says why');
  });

  it('asks to save ICE servers, TURN with its credentials', async () => {
    const el = await panel();
    const events = collect(el, 'grid-ice-servers');
    equal($<HTMLTextAreaElement>(el, '#ice').value, 'stun:stun.example:3478');
    $<HTMLTextAreaElement>(el, '#ice').value = 'stun:s.example\nturn:t.example:3478 user secret';
    $<HTMLFormElement>(el, '[part=ice] form').requestSubmit();
    equal(
      details(events),
      JSON.stringify([
        {
          iceServers: [
            { urls: 'stun:s.example' },
            { urls: 'turn:t.example:3478', username: 'user', credential: 'secret' },
          ],
          transportPolicy: 'all',
        },
      ]),
    );
  });

  it('asks for relay-only links only with a TURN server, and says why otherwise', async () => {
    const el = await panel();
    const events = collect(el, 'grid-ice-servers');
    $<HTMLInputElement>(el, '[name=relay-only]').checked = true;
    $<HTMLFormElement>(el, '[part=ice] form').requestSubmit();
    await el.updateComplete;
    equal(events.length, 0);
    check(/needs a TURN server/.test($(el, '#ice-error').textContent ?? ''), 'the reason is shown');
    $<HTMLTextAreaElement>(el, '#ice').value = 'turn:t.example:3478 user secret';
    $<HTMLFormElement>(el, '[part=ice] form').requestSubmit();
    equal(events.length, 1);
    equal((events[0] as CustomEvent<{ transportPolicy: string }>).detail.transportPolicy, 'relay');
  });

  it('refuses a nickname of 40 “é” (80 bytes) with the reason, and sends nothing', async () => {
    const el = await panel();
    const events = collect(el, 'grid-nickname');
    $<HTMLInputElement>(el, '#nickname').value = 'é'.repeat(40);
    $<HTMLFormElement>(el, '[part=nickname] form').requestSubmit();
    await el.updateComplete;
    equal(events.length, 0);
    check(/at most 64 bytes/.test($(el, '#nickname-error').textContent ?? ''), 'the reason is shown');
  });

  it('asks to allow, deny or reset a member', async () => {
    const el = await panel();
    const events = collect(el, 'grid-policy');
    const select = $<HTMLSelectElement>(el, `tr[data-id="${A}"] select`);
    equal(select.getAttribute('aria-label'), 'Service policy for alice (aaaaaaaa)');
    select.value = 'deny';
    select.dispatchEvent(new Event('change'));
    select.value = '';
    select.dispatchEvent(new Event('change'));
    equal(details(events), JSON.stringify([{ id: A, policy: 'deny' }, { id: A }]));
  });

  it('offers revoke to admins only, and asks only after a second press', async () => {
    const member = await panel({ admin: false });
    equal($(member, '[data-action=revoke]'), null);
    member.remove();

    const el = await panel({ admin: true });
    const events = collect(el, 'grid-revoke');
    $<HTMLButtonElement>(el, '[data-action=revoke]').click();
    await el.updateComplete;
    equal(events.length, 0);
    $<HTMLButtonElement>(el, '[data-action=confirm-revoke]').click();
    equal(details(events), JSON.stringify([{ id: A }]));
  });

  it('asks to leave the grid only after a second press', async () => {
    const el = await panel();
    const events = collect(el, 'grid-leave');
    $<HTMLButtonElement>(el, '[data-action=leave]').click();
    await el.updateComplete;
    equal(events.length, 0);
    $<HTMLButtonElement>(el, '[data-action=confirm-leave]').click();
    equal(events.length, 1);
  });
});

describe('control panel parsing', () => {
  it('reads relays and rejects anything but ws:// and wss://', () => {
    const ok = parseRelays('# comment\nwss://a.example/path\n');
    check(ok.ok && ok.value.join() === 'wss://a.example/path', 'comments and blank lines are skipped');
    const bad = parseRelays('wss://a.example\njavascript:alert(1)');
    check(!bad.ok && bad.error.startsWith('Relay 2'), 'the bad line is named');
  });

  it('reads ICE servers and requires credentials for TURN', () => {
    check(!parseIceServers('turn:t.example').ok, 'TURN without credentials is refused');
    check(!parseIceServers('http://x').ok, 'only stun: and turn: URLs');
    check(parseIceServers('stuns:s.example:5349').ok, 'stuns: is fine');
  });
});
