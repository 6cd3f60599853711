/**
 * The one way an element shows who someone is: the cleaned name (isolated, so its direction cannot
 * reorder what follows), the short id beside it (the full id in its tooltip) and, for a lookalike, a
 * warning. Styled by `.who`, `.name`, `.short-id` and `.lookalike` in ./shared.styles.ts.
 */
import { html } from 'lit';
import { cleanName } from './display-name.ts';

export interface Who {
  id: string;
  short: string;
  /** The name to show; none (or the short id itself) shows the short id alone. */
  name?: string | undefined;
  lookalike?: boolean | undefined;
}

export const LOOKALIKE_TITLE = 'Another member’s name looks like this one: tell them apart by the id';

export function nameLabel(who: Who) {
  // Cleaned again here (it is idempotent), so an element handed a raw name by a page still shows it safely.
  const cleaned = cleanName(who.name);
  const name = cleaned && cleaned !== who.short ? cleaned : undefined;
  return html`<span class="who"
    >${name ? html`<span class="name">${name}</span> (` : ''}<code class="short-id" title=${who.id}
      >${who.short}</code
    >${name ? ')' : ''}${
      who.lookalike
        ? html` <span class="lookalike" title=${LOOKALIKE_TITLE}
            >⚠<span class="visually-hidden"> (name looks like another member’s)</span></span
          >`
        : ''
    }</span
  >`;
}
