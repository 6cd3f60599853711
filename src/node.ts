/** The entry of the public API: `GridNode` and its types (src/node/ holds the rooms behind it). */
export { GridNode, type PeerChange } from './node/grid-node.ts';
export type {
  Activity,
  ActivityKind,
  DialRecord,
  GridInfo,
  GridNodeOptions,
  NodeRole,
  NodeStats,
  NodeStatus,
  Peer,
  Policy,
} from './node/types.ts';
export { devGridId, NotLeaderError } from './node/types.ts';
export { InvalidInputError } from './node/commands.ts';
export { IdentityDamagedError } from './store/record-checks.ts';
