/**
 * Every signature a membership field, a chain or a revocation record asks a receiver to check, listed
 * without checking any: a driver verifies the list asynchronously (WebCrypto, off the main thread) into a
 * cache before the core runs, and the core's synchronous `SigCheck` then only looks results up.
 *
 * The list is exactly what `GridMembership` (membership.ts, chain.ts) would check, in the same words:
 * the descriptor's signature by the grid key; each certificate's by its issuer; each redemption's witness
 * countersignature and the witness's own chain; each carried revocation's by its revoker, and the
 * revoker's chain. Requests that repeat (chains share their first certificates) are listed once.
 *
 * Pure; never throws on peer bytes (what does not decode lists nothing: the core refuses it unchecked).
 */
import { toHex } from './bytes.ts';
import {
  type Certificate,
  type Descriptor,
  certificateMessage,
  descriptorMessage,
  witnessMessage,
} from './certificate.ts';
import { decodeMembership } from './membership.ts';
import { type Revocation, decodeRevocationRecord, revocationMessage } from './revocation.ts';

/** One signature to check: `signature` by `publicKey` over `message`. */
export interface SigRequest {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  /**
   * A certificate of the announcement's own chain: if this signature fails, the chain cannot hold, so the
   * envelope is refused whatever else it carries (a carried revocation or a witness's chain failing is
   * judged by the membership rules instead). A receiver may drop such an envelope for good.
   */
  readonly fatal?: true;
}

/** Collects requests, each once (by public key and signature: a signature names its message). */
class Requests {
  readonly list: SigRequest[] = [];
  private readonly seen = new Set<string>();

  add(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, fatal = false): void {
    const key = toHex(publicKey) + toHex(signature);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(fatal ? { publicKey, message, signature, fatal } : { publicKey, message, signature });
  }

  descriptor(d: Descriptor): void {
    this.add(d.gridKey, descriptorMessage(d.gridKey, d.name, d.membersMayInvite), d.signature);
  }

  /** `own`: the announcement's own chain (its certificates' signatures are `fatal`). */
  chain(chain: readonly Certificate[], own = false): void {
    for (const c of chain) {
      const { signature, bytes: _b, witness, ...fields } = c;
      this.add(c.issuer, certificateMessage(fields), signature, own);
      if (witness) {
        this.add(witness.key, witnessMessage(c, witness.at), witness.signature);
        this.chain(witness.chain);
      }
    }
  }

  revocation(v: Revocation): void {
    this.add(v.revoker, revocationMessage(v.gridId, v.revoker, v.revoked, v.revokedAt), v.signature);
    this.chain(v.chain);
  }
}

/** The signatures an announcement's (or a link's, or a notice's) membership field carries. */
export function membershipSignatures(membershipBytes: Uint8Array): SigRequest[] {
  if (membershipBytes.length === 0) return [];
  const decoded = decodeMembership(membershipBytes);
  if (!decoded.ok) return [];
  const r = new Requests();
  r.descriptor(decoded.value.descriptor);
  r.chain(decoded.value.chain, true);
  for (const v of decoded.value.revocations) r.revocation(v);
  return r.list;
}

/**
 * The signatures a descriptor and a chain ask for (what `GridMembership.checkChain` and
 * `descriptorValid` check): an invitation read, a redemption completed, a membership read back from
 * storage.
 */
export function chainSignatures(descriptor: Descriptor, chain: readonly Certificate[]): SigRequest[] {
  const r = new Requests();
  r.descriptor(descriptor);
  r.chain(chain, true);
  return r.list;
}

/** The signatures of revocation records (revocation-sync's REVOKED, or the stored set). */
export function revocationRecordSignatures(records: readonly Uint8Array[]): SigRequest[] {
  const r = new Requests();
  for (const record of records) {
    const decoded = decodeRevocationRecord(record);
    if (decoded.ok) r.revocation(decoded.value);
  }
  return r.list;
}
