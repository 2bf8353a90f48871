// Policies the SDK's tests share: one rule per enforcement path a guard must take.
import type { InlinePolicy } from "../index.ts";

/** Deny, approval, redaction, set, warn and an ordered quantifier over session history, on every phase. */
export const POLICY: InlinePolicy = {
  path: "sdk-test.policy",
  text: `package sdktest

rule no_delete on tool_call {
  severity critical
  when tool.name == "delete_file"
  then deny "deleting files is not allowed"
}

rule big_refund on tool_call {
  severity high
  when tool.name == "refund" and tool.args.amount > 500
  unless principal.roles contains "supervisor"
  then require_approval "refund of {tool.args.amount} needs approval" from "supervisor"
}

rule clamp_limit on tool_call {
  when tool.name == "search" and tool.args.limit > 10
  then set tool.args.limit = 10
}

rule read_then_mail on tool_call {
  severity critical
  when tool.name == "send_email"
   and any a then b in session.calls: a.tool.name == "read_record" and b.tool.name == "compress"
  then deny "records may not be mailed after compression"
}

rule scrub_results on tool_result {
  when tool.result.text != null
  then redact pii.email in tool.result.text with "[EMAIL]"
}

rule secret_results on tool_result {
  when to_string(tool.result.text) contains "TOP SECRET"
  then deny "the result holds classified text"
}

rule no_jailbreak on input {
  when input.text contains "ignore previous instructions"
  then deny "prompt injection"
}

rule approved_models on model_call {
  when not (model.name in ["gpt-test", "mock-model-id", "fake", "fake-model", "FakeListChatModel", "FakeBuiltModel"])
  then deny "model {model.name} is not approved"
}

rule mask_cards on output {
  then redact pii.credit_card in output.text with "[CARD]"
}

rule mask_emails_out on output {
  then redact pii.email in output.text with "[EMAIL]"
}

rule bulk on tool_call {
  when tool.name == "export"
  then warn "bulk export"
}
`,
};

/** A card number that passes the Luhn check. */
export const CARD = "4111 1111 1111 1111";
