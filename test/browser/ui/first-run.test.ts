import '../../../src/ui/grid-first-run/define.ts';
import type { GridFirstRun } from '../../../src/ui/grid-first-run/grid-first-run.ts';
import { check, equal } from '../assert.ts';
import { collect, mount, shadow } from './fake-node.ts';

const firstRun = () => mount(document.createElement('grid-first-run'));
const field = <T extends Element>(el: GridFirstRun, selector: string) =>
  shadow(el).querySelector(selector) as T;

describe('<grid-first-run>', () => {
  afterEach(() => document.querySelectorAll('grid-first-run').forEach((e) => e.remove()));

  it('offers to start a grid and to join one, each with a labelled field', async () => {
    const el = await firstRun();
    const labels = [...shadow(el).querySelectorAll('label')].map((l) => l.textContent?.trim());
    check(labels.includes('Grid name'), 'the grid name field is labelled');
    check(labels.includes('Invitation code or link'), 'the invitation field is labelled');
    equal(shadow(el).querySelectorAll('form').length, 2);
  });

  it('asks to create a grid with the trimmed name when the form is submitted', async () => {
    const el = await firstRun();
    const events = collect<{ name: string }>(document, 'grid-create');
    field<HTMLInputElement>(el, '#name').value = '  Family photos ';
    field<HTMLButtonElement>(el, '[part=create] button').click();
    equal(events.length, 1);
    equal(events[0]!.detail.name, 'Family photos');
  });

  it('does not ask to create a grid without a name', async () => {
    const el = await firstRun();
    const events = collect(document, 'grid-create');
    field<HTMLInputElement>(el, '#name').value = '   ';
    field<HTMLFormElement>(el, '[part=create]').requestSubmit();
    equal(events.length, 0);
  });

  it('asks to join with the pasted invitation when Enter submits the form', async () => {
    const el = await firstRun();
    const events = collect<{ invitation: string }>(el, 'grid-join');
    field<HTMLTextAreaElement>(el, '#invitation').value = ' https://grid.example/#invite=abc \n';
    field<HTMLFormElement>(el, '[part=join]').requestSubmit();
    equal(events[0]?.detail.invitation, 'https://grid.example/#invite=abc');
  });

  it('shows progress while joining and the reason it failed', async () => {
    const el = await firstRun();
    el.busy = 'join';
    await el.updateComplete;
    equal(field<HTMLButtonElement>(el, '[part=join] button').textContent?.trim(), 'Joining…');
    check(field<HTMLButtonElement>(el, '[part=create] button').disabled, 'the other form waits');
    el.busy = undefined;
    el.error = 'this invitation has expired';
    await el.updateComplete;
    equal(field(el, '[role=alert]').textContent, 'this invitation has expired');
  });
});
