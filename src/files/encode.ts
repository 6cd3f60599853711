/**
 * CHK encoding, one segment at a time (Tahoe-LAFS immutable/encode.py), so memory stays bounded by one
 * segment's shares whatever the file size.
 *
 * For segment i (plaintext at file offset i·segmentSize):
 * 1. encrypt with AES-128-CTR at that offset (one counter stream over the file);
 * 2. feed the ciphertext to the whole-file crypttext hash and take its segment hash;
 * 3. zero-pad (the tail only) to k·blockSize, cut into k blocks, code them into N blocks (zfec);
 * 4. take the block hash of each of the N blocks.
 * After the last segment: the crypttext hash tree (leaves: segment hashes), each share's block hash tree,
 * the share hash tree over the N block-tree roots, and the UEB holding the three roots and the file's
 * parameters. The cap is `URI:CHK:key:hash(UEB):k:N:size`.
 *
 * Invariants: segments arrive in order, each of the exact size the cut gives; `finish` once, after the
 * last. Breaking them is a programmer error (FileParamsError).
 */
import type { FileCrypto } from './crypto.ts';
import { Fec } from './fec.ts';
import {
  HASH_SIZE,
  TAGS,
  TaggedHasher,
  blockHash,
  concatBytes,
  crypttextSegmentHash,
  storageIndexOf,
  uebHash,
} from './hashes.ts';
import { buildHashTree, neededHashes, treeSize } from './hashtree.ts';
import { computeLayout, encodeHeader, encodeUebField, type ShareLayout } from './layout.ts';
import type { Segmenting } from './params.ts';
import { FileParamsError } from './result.ts';
import { packUeb, uebSize } from './ueb.ts';

/** What `finish` gives: per share, the bytes after the blocks (everything from the plaintext tree on). */
export interface EncodedTrailers {
  ueb: Uint8Array;
  uebHash: Uint8Array;
  trailers: Uint8Array[];
}

const fecCache = new Map<string, Fec>();
export function fecFor(k: number, n: number): Fec {
  const id = `${k}/${n}`;
  let fec = fecCache.get(id);
  if (fec === undefined) {
    fec = new Fec(k, n);
    if (fecCache.size > 32) fecCache.clear();
    fecCache.set(id, fec);
  }
  return fec;
}

export class ChkEncoder {
  readonly seg: Segmenting;
  readonly layout: ShareLayout;
  readonly storageIndex: Uint8Array;
  readonly key: Uint8Array;
  readonly #crypto: FileCrypto;
  readonly #fec: Fec;
  readonly #crypttext: TaggedHasher;
  readonly #segmentHashes: Uint8Array[] = [];
  readonly #blockHashes: Uint8Array[][];
  #next = 0;
  #finished = false;

  private constructor(crypto: FileCrypto, key: Uint8Array, seg: Segmenting, storageIndex: Uint8Array) {
    this.#crypto = crypto;
    this.key = key;
    this.seg = seg;
    this.storageIndex = storageIndex;
    this.#fec = fecFor(seg.k, seg.n);
    this.#crypttext = new TaggedHasher(crypto, TAGS.crypttext);
    this.#blockHashes = Array.from({ length: seg.n }, () => []);
    this.layout = computeLayout(
      seg.blockSize,
      seg.shareDataSize,
      seg.numSegments,
      neededHashes(seg.n, 0, true).length,
      uebSize(seg),
    );
  }

  static async create(crypto: FileCrypto, key: Uint8Array, seg: Segmenting): Promise<ChkEncoder> {
    if (key.length !== 16) throw new FileParamsError('AES-128 key must be 16 bytes');
    return new ChkEncoder(crypto, key, seg, await storageIndexOf(crypto, key));
  }

  get nextSegment(): number {
    return this.#next;
  }

  /** Plaintext bytes of segment i. */
  segmentLength(i: number): number {
    return i === this.seg.numSegments - 1 ? this.seg.tailSize : this.seg.segmentSize;
  }

  /** Where block `i` lives in every share. */
  blockOffset(i: number): number {
    return this.layout.data + i * this.seg.blockSize;
  }

  header(): Uint8Array {
    return encodeHeader(this.layout);
  }

  /** The N blocks (share 0 … N-1) of the next segment. */
  async encodeSegment(plaintext: Uint8Array): Promise<Uint8Array[]> {
    const i = this.#next;
    const { seg } = this;
    if (this.#finished || i >= seg.numSegments) throw new FileParamsError('no segment left to encode');
    if (plaintext.length !== this.segmentLength(i)) {
      throw new FileParamsError(
        `segment ${i} must be ${this.segmentLength(i)} bytes, got ${plaintext.length}`,
      );
    }
    this.#next++;
    const cipher = await this.#crypto.aesCtr(this.key, i * seg.segmentSize, plaintext);
    this.#crypttext.update(cipher);
    const segmentHash = crypttextSegmentHash(this.#crypto, cipher);
    const last = i === seg.numSegments - 1;
    const blockSize = last ? seg.tailBlockSize : seg.blockSize;
    let padded = cipher;
    if (cipher.length !== blockSize * seg.k) {
      padded = new Uint8Array(blockSize * seg.k);
      padded.set(cipher);
    }
    const inputs: Uint8Array[] = [];
    for (let j = 0; j < seg.k; j++) inputs.push(padded.subarray(j * blockSize, (j + 1) * blockSize));
    const blocks = this.#fec.encode(
      inputs,
      Array.from({ length: seg.n }, (_, s) => s),
    );
    const hashes = await Promise.all(blocks.map((b) => blockHash(this.#crypto, b)));
    hashes.forEach((h, s) => this.#blockHashes[s]!.push(h));
    this.#segmentHashes.push(await segmentHash);
    return blocks;
  }

  async finish(): Promise<EncodedTrailers> {
    const { seg, layout } = this;
    if (this.#finished || this.#next !== seg.numSegments)
      throw new FileParamsError('finish before last segment');
    this.#finished = true;
    const crypto = this.#crypto;
    const crypttextTree = await buildHashTree(crypto, this.#segmentHashes);
    const blockTrees = await Promise.all(this.#blockHashes.map((leaves) => buildHashTree(crypto, leaves)));
    const shareTree = await buildHashTree(
      crypto,
      blockTrees.map((t) => t[0]!),
    );
    const ueb = packUeb({
      seg,
      crypttextHash: await this.#crypttext.digest(),
      crypttextRootHash: crypttextTree[0]!,
      shareRootHash: shareTree[0]!,
    });
    const hash = await uebHash(crypto, ueb);
    const unusedTree = new Uint8Array(treeSize(seg.numSegments) * HASH_SIZE);
    const crypttextBytes = concatBytes(...crypttextTree);
    const uebField = encodeUebField(layout, ueb);
    const trailers = blockTrees.map((tree, s) => {
      const pairs = neededHashes(seg.n, s, true).map((index) => {
        const pair = new Uint8Array(2 + HASH_SIZE);
        pair[0] = index >> 8;
        pair[1] = index & 0xff;
        pair.set(shareTree[index]!, 2);
        return pair;
      });
      return concatBytes(unusedTree, crypttextBytes, ...tree, ...pairs, uebField);
    });
    return { ueb, uebHash: hash, trailers };
  }
}
