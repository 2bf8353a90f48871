/**
 * The tamper-evident audit log.
 *
 * Design: a pure core with no I/O — RFC 9162 hashing (hash.ts), Merkle algorithms over a reader
 * of perfect-subtree hashes (merkle.ts), proof verifiers that never throw (verify.ts), C2SP signed
 * notes and checkpoints (note.ts, checkpoint.ts), C2SP tlog-tiles (tiles.ts) and canonical JSON
 * entries (entry.ts). Stores persist exactly the nodes CompactRange reports on append, so roots
 * and proofs read O(log n) stored hashes; the stores and the CLI sit on top of this core.
 */
export { HASH_SIZE, bytesEqual, emptyRoot, fromBase64, fromHex, leafHash, nodeHash, sha256, toBase64, toHex } from "./hash.ts";
export { AuditError } from "./errors.ts";
export type { AuditErrorCode } from "./errors.ts";
export {
  CompactRange,
  MerkleTree,
  consistencyProofFromReader,
  consistencyProofNodes,
  hashPlan,
  inclusionProofFromReader,
  inclusionProofNodes,
  planNodeIds,
  rootFromReader,
  rootNodes,
} from "./merkle.ts";
export type { NodeId, NodeReader, NodeSink, ProofPlan } from "./merkle.ts";
export { verifyConsistency, verifyInclusion } from "./verify.ts";
export type { TreeIndex } from "./verify.ts";
export {
  NoteError,
  SIG_COSIGNATURE_V1,
  SIG_ECDSA,
  SIG_ED25519,
  SIG_RFC6962_STH,
  cosignatureLine,
  cosignatureVerifierKey,
  generateKey,
  isValidKeyName,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "./note.ts";
export type { NoteErrorCode, NoteSignature, NoteSignatureLine, NoteVerification, ParsedNote, SignerKey, VerifierKey } from "./note.ts";
export { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "./checkpoint.ts";
export type { Checkpoint, CheckpointVerification } from "./checkpoint.ts";
export {
  MAX_ENTRY_SIZE,
  TILE_HEIGHT,
  TILE_WIDTH,
  buildTiles,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  readerFromTiles,
  tileIndexPath,
  tilePath,
} from "./tiles.ts";
export type { BuildTilesOptions, TileFile } from "./tiles.ts";
export { decodeEntry, digest, encodeEntry } from "./entry.ts";
export type { AuditDecision, AuditPhase, AuditReason, AuditRecord, JsonValue } from "./entry.ts";
