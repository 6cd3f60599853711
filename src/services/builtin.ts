/**
 * The services every node runs, in the order they hear of links. A new service adds its factory here
 * and its entry to `ServiceMap` in its own module; GridNode does not change.
 */
import { pingService } from './ping.ts';
import type { ServiceFactory } from './types.ts';

export const builtinServices: readonly ServiceFactory[] = [pingService];
