// The one error the service's handlers throw: a wire code, a message and the bad field's path;
// the server maps it to the HTTP status and the V1 error body at the edge.
import type { ErrorResponseV1, ServiceErrorCode } from "./wire.ts";

const STATUS: Record<ServiceErrorCode, number> = {
  "request/invalid": 400,
  "request/too-large": 413,
  "request/not-found": 404,
  "request/method-not-allowed": 405,
  "request/timeout": 408,
  "request/unsupported-media-type": 415,
  "request/wrong-environment": 409,
  "auth/missing-key": 401,
  "auth/invalid-key": 401,
  "auth/expired-key": 401,
  "auth/forbidden": 403,
  "rate/limited": 429,
  "approval/not-found": 404,
  "approval/already-decided": 409,
  "session/call-not-found": 404,
  "session/already-settled": 409,
  "audit/unavailable": 503,
  "audit/invalid-range": 400,
  "session/conflict": 409,
  "service/unavailable": 503,
  internal: 500,
};

/** A failure a client can cause or must be told of. */
export class ServiceError extends Error {
  /** Stable wire code. */
  readonly code: ServiceErrorCode;
  /** JSON Pointer of the field at fault, when one is. */
  readonly path: string | undefined;

  constructor(code: ServiceErrorCode, message: string, path?: string) {
    super(message);
    this.name = "ServiceError";
    this.code = code;
    this.path = path;
  }

  /** The HTTP status this error is sent with. */
  get status(): number {
    return STATUS[this.code];
  }

  /** The V1 error body. */
  toJSON(): ErrorResponseV1 {
    return { error: { code: this.code, message: this.message, ...(this.path !== undefined ? { path: this.path } : {}) } };
  }
}

/** A 400 for the field at `path`. */
export function invalid(path: string, message: string): ServiceError {
  return new ServiceError("request/invalid", message, path);
}
