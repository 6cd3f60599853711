/**
 * Known-answer vectors taken from Tahoe-LAFS's own sources (github.com/tahoe-lafs/tahoe-lafs).
 *
 * Every vector below was copied from a Tahoe test or source file, then checked with Node 20's `crypto`
 * (sha1, ed25519) and an RFC 4648 lowercase, unpadded base32 codec. All of them reproduce.
 * No vector here was made up: each one is a literal in Tahoe's code, or follows from one by Tahoe's own
 * definitions (cited inline).
 *
 * Definitions used (Tahoe sources):
 * - src/allmydata/util/hashutil.py `permute_server_hash(peer_selection_index, server_permutation_seed)`
 *   = sha1(peer_selection_index + server_permutation_seed).digest().
 * - src/allmydata/storage_client.py `StorageFarmBroker.get_servers_for_psi` (commit
 *   0093edcd938b6f18692094a2442bcf236f42da39) sorts the connected servers by
 *   (is_unpreferred, permute_server_hash(psi, seed)), ascending. Byte-wise comparison of the digests.
 *   `_parse_announcement` takes the seed from base32.a2b(ann['permutation-seed-base32']). If that is
 *   missing, it takes base32.a2b(server_id[3:]) for a 'v0-' + 52-char server id, and otherwise
 *   sha256(server_id).
 * - src/allmydata/crypto/ed25519.py (commit 05f6b7fea09a0e13f2140c01ff096d989435fab3):
 *   string_from_verifying_key = 'pub-v0-' + b2a(raw 32-byte key), and
 *   string_from_signing_key = 'priv-v0-' + b2a(raw 32-byte seed). client.py `get_long_nodeid()`
 *   = remove_prefix(string_from_verifying_key(pub), 'pub-'), that is, 'v0-' + b2a(pub).
 * - src/allmydata/test/test_base32.py `test_a2b_b2a_match_Pythons`: base32.b2a(x) ==
 *   base64.b32encode(x).rstrip('=').lower().
 */

export const permutedOrderVectors: {
  source: string;
  storageIndex: string /* hex */;
  seeds: string[] /* hex of each permutation seed */;
  expected: number[] /* indices into seeds in permuted order */;
  note?: string;
}[] = [
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_client.py Basic.test_permute ' +
      '(seen at commit 00c819253809665b06c16c1db4282549b51658a0 and in the later Python 3 version)',
    storageIndex: '6f6e65', // b"one"
    seeds: ['30', '31', '32', '33', '34'], // b"0".."4", announced as permutation-seed-base32 = b2a(k)
    expected: [3, 1, 0, 4, 2], // Tahoe: [b'3', b'1', b'0', b'4', b'2']
    note: 'peer_selection_index is the 3-byte string "one", not a real 16-byte storage index',
  },
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_client.py Basic.test_permute ' +
      '(seen at commit 00c819253809665b06c16c1db4282549b51658a0 and in the later Python 3 version)',
    storageIndex: '74776f', // b"two"
    seeds: ['30', '31', '32', '33', '34'],
    expected: [0, 4, 2, 1, 3], // Tahoe: [b'0', b'4', b'2', b'1', b'3']
    note: 'peer_selection_index is the 3-byte string "two", not a real 16-byte storage index',
  },
  // Also in test_client.py, Basic.test_permute_with_preferred (not encoded here, because this shape
  // has no field for preferred peers): with the same seeds and preferred_peers = [b'1', b'4'], the
  // expected orders are b'14302' for b"one" and b'41023' for b"two". Preferred servers come first,
  // and each group is ordered by the same sha1 key. Also verified.
];

export const nodeIdVectors: { source: string; publicKey: string /* hex */; nodeId: string; note?: string }[] =
  [
    {
      source:
        'tahoe-lafs/tahoe-lafs src/allmydata/test/test_crypto.py TestRegression.test_decode_ed15519_keypair ' +
        '(commit 11c7841cd7094c0c6eabec94715008d5201afd9f)',
      publicKey: 'c65f04376e2ec8fdfb6bb66f67d4c046df2e6c60773cad2472eaadd71cef158f',
      nodeId: 'v0-yzpqin3of3ep363lwzxwpvgai3ps43dao46k2jds5kw5ohhpcwhq',
      note:
        "Tahoe literals: priv_str = 'priv-v0-lqcj746bqa4npkb6zpyc6esd74x3bl6mbcjgqend7cvtgmcpawhq' " +
        '(ed25519 seed 5c049ff3c18038d7a83ecbf02f1243ff2fb0afcc08926811a3f8ab33304f058f), ' +
        "pub_str = 'pub-v0-yzpqin3of3ep363lwzxwpvgai3ps43dao46k2jds5kw5ohhpcwhq'. The test asserts the " +
        'key derived from the seed equals pub_str. The nodeId is pub_str without "pub-", as in ' +
        'client.get_long_nodeid(). The literal "v0-..." string itself does not appear in the test. ' +
        "Tahoe's ed25519 signature of b'test' under this key is " +
        'de0ed6e2f5035d38fea731adb4670311818b08ff7af44ba0862069657221e8e5232a9d8c0b4902d9300e37be57bfa3fec11cf52be929a3dec9c673c990f77808 ' +
        '(verified: Node reproduces it exactly)',
    },
    {
      source:
        'tahoe-lafs/tahoe-lafs src/allmydata/test/test_storage_client.py ' +
        'TestStorageFarmBroker.test_static_permutation_seed_pubkey (commit 00613b78f5acd9757efa2d45fdfd684a5bbf9e4d)',
      publicKey: 'e5019913770fa94ec1ea0fe645e82cf05e407127a20c33c054ad644f9e869c90',
      nodeId: 'v0-4uazse3xb6uu5qpkb7tel2bm6bpea4jhuigdhqcuvvse7hugtsia',
      note:
        'The test asserts that the permutation seed of static server id b"v0-4uazse..." (announcement ' +
        'without permutation-seed-base32) is base32.a2b(id[3:]), i.e. these 32 bytes. No private key is ' +
        'given. Tahoe uses it only as a v0- id string; it is not shown to be a real node key.',
    },
  ];

export const base32Vectors: { source: string; bytes: string /* hex */; base32: string }[] = [
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_base32.py Base32.test_b2a / test_a2b ' +
      '(commit 0f596fb5f41fe6df31adc174b6d8241aa56d1e76)',
    bytes: '1234',
    base32: 'ci2a',
  },
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_introducer.py furl1 = "pb://onug64tu@127.0.0.1:123/short" ' +
      '# base32("short")',
    bytes: '73686f7274', // b"short"
    base32: 'onug64tu',
  },
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_crypto.py TestRegression.test_decode_ed15519_keypair ' +
      '(priv_str without "priv-v0-")',
    bytes: '5c049ff3c18038d7a83ecbf02f1243ff2fb0afcc08926811a3f8ab33304f058f',
    base32: 'lqcj746bqa4npkb6zpyc6esd74x3bl6mbcjgqend7cvtgmcpawhq',
  },
  {
    source:
      'tahoe-lafs/tahoe-lafs src/allmydata/test/test_crypto.py TestRegression.test_decode_ed15519_keypair ' +
      '(pub_str without "pub-v0-")',
    bytes: 'c65f04376e2ec8fdfb6bb66f67d4c046df2e6c60773cad2472eaadd71cef158f',
    base32: 'yzpqin3of3ep363lwzxwpvgai3ps43dao46k2jds5kw5ohhpcwhq',
  },
];
