/**
 * The protocol core: pure, deterministic, no I/O. Time and randomness are inputs. See PROTOCOL.md.
 */
export { bucketBits } from './anti-entropy.ts';
export { base32Decode, base32Encode } from './base32.ts';
export { type DisseminationMode, EagerPush, makeDissemination } from './eager.ts';
export { type BodyHead, type Canonical, type Interner, canonicalOf, copyInterner } from './canonical.ts';
export { OriginIndex } from './origins.ts';
export { compareBytes, concatBytes, equalBytes, fromHex, toHex, utf8 } from './bytes.ts';
export { type Decoded, DecodeError } from './codec.ts';
export { type CoreConfig, ConfigError, defaultConfig, resolveConfig } from './config.ts';
export {
  type NodeId,
  type Tag,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  nodeIdString,
  parseNodeId,
  tagOf,
} from './identity.ts';
export {
  type AnnouncementBody,
  type Envelope,
  type ServiceParams,
  type Services,
  BODY_VERSION,
  DOMAIN_ANNOUNCEMENT,
  EncodeError,
  GRID_ID_BYTES,
  NONCE_BYTES,
  decodeBody,
  decodeEnvelope,
  encodeBody,
  encodeEnvelope,
  limits,
  signedMessage,
} from './announcement.ts';
export {
  type Message,
  type Ref,
  MessageType,
  bucketOf,
  decodeMessage,
  encodeAnnounce,
  encodeBuckets,
  encodePrune,
  encodeRefs,
  encodeSubdigest,
  encodeSummary,
} from './messages.ts';
export {
  type AdmitFn,
  type DropReason,
  type GossipNodeOptions,
  type Output,
  type PeerInfo,
  type PreparedAnnouncement,
  type ServiceCallback,
  type ServiceEvent,
  type VerifyFn,
  GossipNode,
} from './gossip.ts';
export { type DialPlan, type PeerHistory, backoffMs, planDials, reconnectOrder } from './history.ts';
export { permutedOrder } from './permute.ts';
export { type Random, seededRandom } from './random.ts';
export { type Role, SERVICE, servicesForRole } from './roles.ts';
export {
  type Certificate,
  type ChainCheck,
  type Descriptor,
  type MemberRole,
  type Membership,
  type MembershipReason,
  type Revocation,
  type SigCheck,
  type UnsignedCertificate,
  type Witness,
  CERT_INVITATION,
  CERT_NODE,
  GridMembership,
  MAX_REVOCATIONS,
  MAX_REVOCATION_SET,
  type RevocationSet,
  SETTLE_MS,
  certificateMessage,
  decodeRevocationRecord,
  encodeRevocationRecord,
  revocationId,
  decodeMembership,
  descriptorMessage,
  encodeMembership,
  gridIdOf,
  revocationMessage,
  signedCertificate,
  signedDescriptor,
  signedRevocation,
  witnessMessage,
} from './membership.ts';
export {
  type Invite,
  InviteError,
  decodeInvite,
  decodeWitnessReply,
  encodeInvite,
  encodeWitnessReply,
  inviteCodeOf,
} from './invite.ts';
