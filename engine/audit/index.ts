/**
 * The tamper-evident audit log: a pure core with no I/O, and (beside it) the stores and the CLI.
 *
 * Design of the core:
 * - hash.ts: RFC 9162 hashing — leaf SHA-256(0x00||d), node SHA-256(0x01||l||r) — on Uint8Array.
 * - merkle.ts: every root and proof is a right fold of perfect-subtree hashes, so algorithms read
 *   nodes through a NodeReader (level, index) and stores keep exactly the nodes CompactRange
 *   reports on append. The *Nodes functions say which nodes a proof needs (one batched query),
 *   hashPlan turns them into hashes; MerkleTree is the in-memory tree built on the same parts.
 * - verify.ts: RFC 9162 §2.1.3.2 / §2.1.4.2 verifiers that return false on any malformed input
 *   and never throw; sizes may be bigints for the full uint64 range.
 * - note.ts, checkpoint.ts: C2SP signed notes and tlog-checkpoints, byte-compatible with Go's
 *   sumdb/note; verifyNote and openCheckpoint return a result (never throw), the key parsers and
 *   signers throw NoteError / AuditError with stable codes.
 * - tiles.ts: C2SP tlog-tiles paths, entry bundles and the files of a tiled export.
 * - entry.ts: an AuditRecord as RFC 8785 canonical JSON, the bytes a leaf commits to.
 *
 * Around it: the stores (store.ts, sqlite-*.ts, postgres-store.ts), the log (log.ts: group
 * commit, guarded signing, verification), what a verifier trusts (trust.ts), the files that hold
 * a log's keys and its signer's memory outside the database (key-files.ts), witnesses
 * (witness.ts) and erasure by key destruction (erasure.ts). The trust model is spec/audit-trust.md.
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
export { encodeDocumentEntry } from "./document-entry.ts";
export type { DocumentEntry } from "./document-entry.ts";
export type { AuditDecision, AuditParty, AuditPhase, AuditReason, AuditRecord, AuditTool, JsonValue } from "./entry.ts";
export { AuditLog } from "./log.ts";
export type { AuditLogOptions, ConsistencyProof, EraseResult, InclusionProof, LogEntry, LogIdentity, LogVerifyOptions, SignedCheckpoint } from "./log.ts";
export { StoreError, openStore } from "./store.ts";
export type { AppendResult, AuditStore, DocumentAppendResult, EraseOutcome, NewDocumentEntry, NewEntry, StoreErrorCode, StoredCheckpoint, StoredEntry, SubjectKey } from "./store.ts";
export { verifyStore } from "./store-verify.ts";
export type { CheckpointCheck, HeldCheckpoint, ProblemKind, VerifyProblem, VerifyReport, VerifyStoreOptions } from "./store-verify.ts";
export { cosigners, openTrusted, parseTrustedKeys } from "./trust.ts";
export type { TrustResult, TrustedCheckpoint } from "./trust.ts";
export { Witnesses } from "./witness.ts";
export type { WitnessConfig, WitnessReport } from "./witness.ts";
export { defaultOrigin, fileSignerMemory, isPostgresUrl, loadOrCreateSigningKey, logFiles, readSigningKey, readVerifierKeys, signingKeyFor, writeVerifierKeys } from "./key-files.ts";
export type { LogFiles, SignerMemory } from "./key-files.ts";
export { ANONYMOUS_SUBJECT, DEFAULT_ERASURE, ERASED_MARKER, SEALED_MARKER, erasurePolicyFrom, newSubjectKey, parseErasurePolicy, seal, sealedPart, subjectOf, unseal } from "./erasure.ts";
export type { ErasurePolicy, KeyMaterial, OpenStatus, SealedFields } from "./erasure.ts";
