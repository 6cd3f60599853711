/**
 * Commands are checked where they enter, whether a page called the API or a follower tab forwarded them
 * over the BroadcastChannel (SECURITY-REVIEW findings 12 and 15): the same rules as the protocol's
 * encoder (src/core/inputs.ts), so nothing that would stop this node's announcements is persisted.
 */
import { checkNickname, checkServiceName, checkServiceParams, type Checked } from '../core/inputs.ts';
import type { Command } from './types.ts';

// The shape of a node id (`v0-` + base32), bounded; the policy list may name ids not yet seen.
/** What a policy may name: a node id's shape (ids not yet seen may be listed). */
export const NODE_ID_SHAPE = /^v0-[a-z2-7]{1,104}$/;

/** An argument a person or a page gave that the node refuses; `message` says why, for people. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

export function valid<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new InvalidInputError(checked.message);
  return checked.value;
}

/** The command with its values normalised, or an InvalidInputError. */
export function checkCommand(command: Command): Command {
  switch (command?.op) {
    case 'publish':
      return {
        op: 'publish',
        service: valid(checkServiceName(command.service)),
        params: { ...valid(checkServiceParams(command.params)) },
      };
    case 'unpublish':
      return { op: 'unpublish', service: valid(checkServiceName(command.service)) };
    case 'nickname':
      return { op: 'nickname', nickname: valid(checkNickname(command.nickname)) };
    case 'policy':
      if (typeof command.id !== 'string' || !NODE_ID_SHAPE.test(command.id))
        throw new InvalidInputError('A policy names a member by its node id (v0-…).');
      if (command.policy !== undefined && command.policy !== 'allow' && command.policy !== 'deny')
        throw new InvalidInputError("A policy is 'allow', 'deny' or none.");
      return command;
    default:
      throw new InvalidInputError('Unknown command.');
  }
}
