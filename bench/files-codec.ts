// Prints one JSON line: CHK encode/decode MB/s in Node for a 16 MiB file at 3-of-10 with 128 KiB segments,
// on the default WebCrypto slots (`--size`, `--k`, `--n`, `--segment` override). Wall-clock MB/s and,
// since this machine is shared, MB/s per CPU second of this process as well.
// Run: node --import tsx bench/files-codec.ts
import { measureCodec } from './files-codec-core.ts';

const arg = (name: string): number | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
};

const figures = await measureCodec({
  sizeBytes: arg('size') ?? 16 * 1024 * 1024,
  k: arg('k') ?? 3,
  n: arg('n') ?? 10,
  segmentSize: arg('segment') ?? 128 * 1024,
  // User + system time of this process, WebCrypto's worker threads included.
  cpuClockMs: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
});
console.log(JSON.stringify({ bench: 'files-codec', runtime: `node ${process.version}`, ...figures }));
