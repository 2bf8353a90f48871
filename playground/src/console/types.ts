// The service's wire shapes as the console reads them (engine/service/wire.ts and console-read.ts).
import type { ApprovalV1, DecisionRecordV1 } from "../../../engine/service/wire.ts";
import type { OverviewV1, SessionPageV1, SessionSummaryV1 } from "../../../engine/service/console-read.ts";

export type Approval = ApprovalV1;
export type DecisionRec = DecisionRecordV1;
export type Overview = OverviewV1;
export type SessionPage = SessionPageV1;
export type SessionSummary = SessionSummaryV1;
