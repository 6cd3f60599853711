// The wire format of a peer link (peer-link.ts): every data-channel message is one binary frame whose first
// byte is its type.
//   0 data  [0, ...payload]      payload is at most maxMessageBytes
//   1 ping  [1, nonce(8)]        nonce is the sender's performance.now() as a float64
//   2 pong  [2, nonce(8)]        echoes a ping's nonce

export const DATA = 0;
export const PING = 1;
export const PONG = 2;
export const HEADER_BYTES = 1;
export const NONCE_BYTES = 8;
