// The relay's settings: one table of defaults, each with the reason for its value. Every size and count a
// client can influence is bounded here; the same bounds hold whether the relay owns its port (`npm run
// relay`) or shares the app's port at a path (`npm run serve`), and whether or not it is clustered.
export interface RelayOptions {
  host: string;
  port: number;
  path: string;
  maxFrameBytes: number;
  maxTopicsPerConnection: number;
  maxTopicLength: number;
  maxSubscribersPerTopic: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxSubscriptionsPerAddress: number;
  maxBufferedBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  publishBytesPerSecond: number;
  publishBytesBurst: number;
  publishBytesPerSecondPerAddress: number;
  publishBytesBurstPerAddress: number;
  maxErrorsPerConnection: number;
  pingIntervalMs: number;
  closeGraceMs: number;
}

export const relayDefaults: Readonly<RelayOptions> = {
  // Loopback unless told otherwise: exposing the relay publicly should be a deliberate choice.
  host: '127.0.0.1',
  // Default port for `npm run relay`; 0 picks a free port (tests).
  port: 8787,
  // Path a WebSocket upgrade must ask for. '' takes any path: a relay on a port of its own serves y-webrtc
  // clients, which connect to the root. Sharing the app's port (`npm run serve`) it is '/relay'.
  path: '',
  // Largest accepted frame. Signaling frames are SDP offers/answers and ICE candidates (a few KiB), so
  // anything near this is abuse; ws enforces it before buffering the whole frame (maxPayload).
  maxFrameBytes: 64 * 1024,
  // Topics one connection may be subscribed to at once. A node joins a handful of rooms; this caps the
  // fan-out one socket can add to the topic table.
  maxTopicsPerConnection: 64,
  // Longest topic name in characters. Room names are short; this bounds the memory held per topic key.
  maxTopicLength: 128,
  // Subscribers per topic. Each publish is copied to every subscriber, so this bounds the work (and
  // outgoing bytes) a single publish can cause.
  maxSubscribersPerTopic: 256,
  // Open WebSocket connections in total; further upgrades get HTTP 503. Bounds memory and file descriptors.
  maxConnections: 4096,
  // Open connections from one client address (IP). A tab holds one socket per relay; a household behind one
  // NAT holds a few dozen at most. Without it, 4,096 idle sockets from one address fill `maxConnections`
  // and the relay answers 503 to everyone else (SECURITY-REVIEW finding 8). One more is accepted and closed
  // at once with code 1008 and reason 'address-connection-limit', so a client can tell why.
  maxConnectionsPerAddress: 32,
  // Topic subscriptions held by all connections of one client address together. Bounds how many rooms one
  // address can squat (each room holds at most `maxSubscribersPerTopic`); a subscribe over it is refused
  // whole with the error 'address-topic-limit'.
  maxSubscriptionsPerAddress: 256,
  // Bytes queued for one connection that it has not read yet. A reader that never drains would otherwise
  // make the relay buffer every publish for it forever; past this it is dropped (close 1008).
  maxBufferedBytes: 1024 * 1024,
  // Sustained frames per second per connection (token bucket refill rate). Signaling bursts when a node
  // joins a room, then goes quiet; a client above this is flooding and is closed (1008).
  rateLimitPerSecond: 200,
  // Token bucket size: frames a connection may send back to back before the sustained rate applies.
  rateLimitBurst: 400,
  // Bytes of publish frames one connection may send: a burst of 256 KiB, then 64 KiB a second; over it the
  // connection is flooding and is closed (1008 'byte-rate-limit'). Honest signaling is a hello of ~0.5 KiB
  // every few seconds and, while links form, SDP offers and answers of a few KiB each: a node dialing 12
  // peers at once publishes ~50 KiB. Each publish is copied to every subscriber of its topic, so the frame
  // rate alone let one socket send 200 × 44 KiB a second to every member of a grid — 8 MiB/s that each
  // browser must receive, decode and collect before the node can drop it (the hostile bench's long
  // tasks: the WebSocket's own receive work and major GCs driven by those strings).
  publishBytesPerSecond: 64 * 1024,
  publishBytesBurst: 256 * 1024,
  // The same for all connections of one client address together, remembered across reconnects (so closing
  // and reopening sockets does not refill it): a burst of 2 MiB, then 512 KiB a second. A publish over it is
  // refused with the error 'address-byte-limit' (errors count towards `maxErrorsPerConnection`). Every
  // member behind one NAT shares it: hundreds of members joining at the same second would wait for it.
  publishBytesPerSecondPerAddress: 512 * 1024,
  publishBytesBurstPerAddress: 2 * 1024 * 1024,
  // Rejected frames tolerated per connection; one more closes it (1008). A buggy client gets enough error
  // frames to be diagnosed, a fuzzer cannot keep the relay busy answering garbage.
  maxErrorsPerConnection: 20,
  // Interval between WebSocket pings; a connection that has not answered the previous ping is terminated,
  // so dead peers stop occupying topics. Matches the reference server's 30 s.
  pingIntervalMs: 30_000,
  // Time a connection closed by the relay gets to finish the close handshake before its socket is destroyed.
  // Slow readers cannot complete it, and their queued bytes must not be held indefinitely.
  closeGraceMs: 5_000,
};
