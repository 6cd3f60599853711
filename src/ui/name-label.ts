/**
 * The one way an element shows who someone is: the cleaned name (isolated, so its direction cannot
 * reorder what follows), the short id beside it (the full id in its tooltip) and, for a lookalike, a
 * warning. Styled by `.who`, `.name`, `.short-id` and `.lookalike` in ./shared.styles.ts.
 */
import { html } from 'lit';

export interface Who {
  id: string;
  short: string;
  /** The name to show; none (or the short id itself) shows the short id alone. */
  name?: string | undefined;
  lookalike?: boolean | undefined;
}

export const LOOKALIKE_TITLE = 'Another member’s name looks like this one: tell them apart by the id';

export function nameLabel(who: Who) {
  const name = who.name && who.name !== who.short ? who.name : undefined;
  return html`<span class="who"
    >${name ? html`<span class="name">${name}</span> (` : ''}<code class="short-id" title=${who.id}
      >${who.short}</code
    >${name ? ')' : ''}${
      who.lookalike
        ? html` <span class="lookalike" title=${LOOKALIKE_TITLE}
            >⚠<span class="visually-hidden">${LOOKALIKE_TITLE}</span></span
          >`
        : ''
    }</span
  >`;
}
