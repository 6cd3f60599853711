/**
 * Sets one CSS property on an element through the CSSOM (for Lit's `ref`): the served dashboard's
 * Content-Security-Policy (style-src 'self') refuses style attributes, not CSSOM writes.
 */
export function cssProperty(name: string, value: string | undefined): (el: Element | undefined) => void {
  return (el) => {
    if (!(el instanceof HTMLElement)) return;
    if (value === undefined) el.style.removeProperty(name);
    else el.style.setProperty(name, value);
  };
}
