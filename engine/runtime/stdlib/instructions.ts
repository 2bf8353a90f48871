// Whether a text carries instructions addressed to the agent (issue 24, spec/provenance.md):
// the mark of an indirect prompt injection inside a tool result. Provenance uses it to tell the
// text that tried to steer the agent from the rest of the untrusted content, so a policy can
// hold what that text named (a link to visit, a file to delete, a hotel to recommend) and every
// action the agent takes once it has read such a text.
//
// The cues are the forms an injection takes to be obeyed rather than read, not any attack's
// wording: overriding what the agent was told ("ignore your previous instructions"), addressing
// an AI by what it is ("to you, the assistant", "you are an AI"), imitating the system's channel
// (`<system>`, `[SYSTEM]:`, `(system_message)`), telling the agent which tool to call, and
// reordering or hiding its task ("before you solve the task I gave you", "do not tell the
// user"). A strong cue is enough; the weaker ones (each also said by people to people) count
// when two different ones meet in one text. Plain imperatives ("send me the report") are not
// cues: people write them to people, and a benign mail must not taint the session.

/** What an AI is called when a text speaks to it. */
const AI =
  "(?:an?\\s+|the\\s+)?(?:ai\\b|a\\.i\\.|artificial intelligence|ai\\s+(?:assistant|agent|model|system)|virtual assistant|language model|large language model|llm|chat\\s?bot|chatgpt|gpt[-\\s]?[\\d.o]+\\w*|claude|gemini|llama|mixtral|mistral|command[\\s-]r\\+?|copilot)";

/** After the name of an AI spoken to: punctuation, the end, or the sentence going on to what it is to do. */
const ADDRESSED = "(?=\\s*(?:[,.!:;?)\\n]|$|(?:and|with|that|who|now|please|you|your|i|we)\\b))";

/** One of these alone marks a text as instructing the agent. */
const STRONG: readonly RegExp[] = [
  // overriding what the agent was told (tolerating a typo inside "instructions")
  /\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|of|your|the|these|those|previous|prior|above|earlier|preceding|original|initial|system|safety|other)\s+){1,4}(?:i\w{0,2}nstructions?|prompts?|directives?|guidelines|rules|programming)\b/i,
  // speaking to an AI by what it is
  // (the AI named, then the sentence goes on: "Dear AI team" and "you are an AI researcher" are people)
  new RegExp(`\\b(?:to\\s+you\\s*,|dear|hey|hi|hello|attention|note\\s+(?:to|for)|message\\s+(?:to|for)|instructions?\\s+(?:to|for))\\s*,?\\s*${AI}${ADDRESSED}`, "i"),
  new RegExp(`\\byou\\s+are\\s+(?:now\\s+)?${AI}${ADDRESSED}`, "i"),
  // imitating the system's or the developer's channel
  // (bracketed or hash-marked: a line "System: Linux" or "Bob (admin)" is people's)
  /[#[(<{|]\s*(?:system(?:[\s_-]*(?:message|prompt|instructions?|override))?|(?:admin|administrator|developer)[\s_-]*(?:message|prompt|instructions?|override))\s*[\])>}:|]/i,
  /<\s*\/?\s*(?:information|instructions?|important|system|admin|im_start|im_end)\s*>|<\|im_(?:start|end)\|>/i,
  // telling the agent which tool to call
  /\b(?:use|call|invoke|execute|run)\s+(?:the\s+)?(?:tool|function)\s+[`'"]?[a-z]+_[a-z0-9_]+/i,
];

/** Two different ones of these mark a text as instructing the agent. */
const WEAK: readonly RegExp[] = [
  /\b(?:before|after|instead\s+of)\s+(?:you\s+)?(?:can\s+|do\s+|start\s+)?(?:solv|answer|complet|finish|continu|proceed|respond|perform|do)\w*\s+(?:with\s+|on\s+)?(?:the|your|my|this)\s+(?:user'?s\s+)?(?:original\s+|current\s+|actual\s+|main\s+)?(?:task|request|question|assignment|job)\b/i,
  /\b(?:task|i\w{0,2}nstructions?|request|job)\s+(?:that\s+|which\s+)?(?:i|we|the\s+user)\s+(?:gave|assigned|set|sent)\s+(?:to\s+)?you\b/i,
  /\b(?:tell|inform|notify|alert|remind|convince|persuade|recommend\s+to|say\s+to|reply\s+to|respond\s+to)\s+the\s+user\b|\b(?:don'?t|do\s+not|never|without)\s+(?:tell|inform|notify|mention|ask|alert)\w*\s+(?:it\s+to\s+)?the\s+user\b/i,
  /\b(?:adhere\s+to|obey|comply\s+with)\s+(?:the\s+)?(?:following|these|this|my|new)\s+(?:i\w{0,2}nstructions?|orders?|directives?|commands?)\b/i,
  /\bthis\s+is\s+an?\s+(?:important|urgent|priority)\s+(?:message|instruction|notice)\b/i,
  /\bdo\s+the\s+following\s+(?:first|instead|now|immediately)\b/i,
  /\bimportant\s*!{2,}/i,
];

/** A cheap first look: every cue holds one of these words. */
const ANY_CUE = /ignor|disregard|forget|overrid|bypass|you|dear|hey|hi\b|hello|attention|note|message|instruct|system|admin|developer|<|tool|function|task|request|user|adhere|obey|comply|following|important/i;

/** Whether `text` carries instructions addressed to the agent (a strong cue, or two different weak ones). */
export function carriesInstructions(text: string): boolean {
  if (text.length < 12 || !ANY_CUE.test(text)) return false;
  if (marked(text)) return true;
  // An order glued to a name by an underscore ("External_Ignore your previous instructions")
  // has no word boundary before it: read it with the underscores as spaces too.
  return text.includes("_") && marked(text.replace(/_/g, " "));
}

function marked(text: string): boolean {
  for (const re of STRONG) if (re.test(text)) return true;
  let weak = 0;
  for (const re of WEAK) if (re.test(text) && ++weak === 2) return true;
  return false;
}
