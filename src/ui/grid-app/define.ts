import '../grid-activity/define.ts';
import '../grid-control-panel/define.ts';
import '../grid-files/define.ts';
import '../grid-first-run/define.ts';
import '../grid-graph/define.ts';
import '../grid-invite/define.ts';
import '../grid-members/define.ts';
import '../grid-status/define.ts';
import '../grid-storage/define.ts';
import '../grid-switch-confirm/define.ts';
import '../grid-switcher/define.ts';
import { GridApp } from './grid-app.ts';

customElements.define('grid-app', GridApp);

declare global {
  interface HTMLElementTagNameMap {
    'grid-app': GridApp;
  }
}
