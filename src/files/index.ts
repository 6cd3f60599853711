/**
 * Tahoe-LAFS immutable files (CHK) for the grid: the format (pure apart from injected hashing and AES),
 * and upload and download against `StorageRemote` servers. Each layer's rules are written at the top of
 * its file.
 */
export { encodeCHK, type EncodeOptions, type EncodedFile } from './chk.ts';
export {
  decodeCHK,
  readAll,
  readStream,
  ChkReader,
  FileReadError,
  memorySources,
  type ReaderEvents,
} from './decode.ts';
export { parseCap, formatCap, base32, unbase32, type Cap } from './cap.ts';
export { webCrypto, defaultFileCrypto, type FileCrypto, type IncrementalHash } from './crypto.ts';
export { Fec, FecParamsError } from './fec.ts';
export { segmenting, shareCountsFor, LIT_THRESHOLD, type Segmenting, type ShareCounts } from './params.ts';
export { openShare, readBlock, type ShareSource, type VerifiedShare } from './verify.ts';
export { FileParamsError, type Result } from './result.ts';
export {
  upload,
  UploadUnhappyError,
  DEFAULT_MAX_SEGMENT_SIZE,
  type UploadOptions,
  type UploadResult,
  type UploadProgress,
} from './upload.ts';
export { download, downloadStream, findShares, type DownloadOptions } from './download.ts';
export { placeShares, happinessOf, type Candidate, type Placement } from './happiness.ts';
