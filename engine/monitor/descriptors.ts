// Built-in text descriptors of answers, computed off the decision path at flush time and
// tracked like any other metric: whether the answer is a refusal (`eval:refusal`), its language
// (`eval:language`), whether it leaks personal data (`eval:pii_leak`) and its length
// (`score:answer_length`). They run on every event carrying output text unless the Monitor is
// told otherwise; judges (an LLM scoring answers) plug in beside them as evaluators.
import type { Evaluator, EvaluatorOptions } from "./evaluators.ts";
import { answerLengthEvaluator, piiLeakEvaluator, refusalEvaluator } from "./evaluators.ts";

// The commonest function words of each language: short, frequent and rarely shared, so a count
// over an answer's words tells the language apart from a dozen words on.
const STOPWORDS: Readonly<Record<string, readonly string[]>> = {
  en: ["the", "and", "is", "to", "of", "you", "your", "for", "with", "that", "this", "are", "will", "be", "have", "in", "on", "it", "we", "can", "please"],
  es: ["el", "la", "los", "las", "de", "que", "y", "en", "su", "por", "para", "con", "es", "una", "un", "se", "del", "lo", "no", "puedo", "usted"],
  fr: ["le", "la", "les", "de", "des", "et", "est", "vous", "votre", "pour", "que", "une", "un", "dans", "sur", "pas", "avec", "ce", "il", "nous"],
  de: ["der", "die", "das", "und", "ist", "sie", "ihr", "ihre", "nicht", "mit", "für", "ein", "eine", "zu", "den", "auf", "wir", "bitte", "sich", "dem"],
  it: ["il", "lo", "gli", "di", "che", "è", "per", "con", "una", "sono", "non", "del", "della", "suo", "sua", "alla", "questo", "anche", "ci", "mi"],
  pt: ["o", "os", "as", "de", "que", "e", "em", "seu", "sua", "para", "com", "uma", "não", "do", "da", "por", "você", "ao", "dos", "foi"],
  nl: ["de", "het", "een", "en", "van", "is", "je", "uw", "voor", "met", "niet", "dat", "op", "te", "zijn", "wij", "bij", "ook", "om", "naar"],
};
const WORD = /[\p{L}']+/gu;
const INDEX: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const [lang, words] of Object.entries(STOPWORDS)) {
    for (const w of words) {
      let l = m.get(w);
      if (l === undefined) m.set(w, (l = []));
      l.push(lang);
    }
  }
  return m;
})();

/**
 * The answer's language as an ISO 639-1 code (`en`, `es`, `fr`, `de`, `it`, `pt`, `nl`), by its
 * function words; `und` when it has too few of them to tell (short or other-language text).
 */
export function detectLanguage(text: string): string {
  const score = new Map<string, number>();
  let words = 0;
  for (const m of text.toLowerCase().matchAll(WORD)) {
    words++;
    for (const lang of INDEX.get(m[0]) ?? []) score.set(lang, (score.get(lang) ?? 0) + 1);
    if (words >= 400) break;
  }
  let best = "und";
  let top = 0;
  let second = 0;
  for (const [lang, n] of score) {
    if (n > top) {
      second = top;
      top = n;
      best = lang;
    } else if (n > second) second = n;
  }
  // Two function words at least, and a clear lead over the runner-up.
  return top >= 2 && top > second * 1.5 ? best : "und";
}

/** Classifies an answer by language (`eval:language`). */
export function languageEvaluator(options: EvaluatorOptions = {}): Evaluator {
  return { name: options.name ?? "language", sampleRate: options.sampleRate, evaluate: (output) => detectLanguage(output) };
}

// Refusals in the languages detectLanguage knows, besides the English phrases of refusalEvaluator.
const REFUSALS = [
  /\b(?:I(?:'m| am) (?:sorry|afraid|unable|not able)|I (?:can(?:'|no)t|cannot|won'?t|will not) (?:help|assist|provide|do|comply|share|answer)|(?:as an AI|that request)(?: model)?,? I\b|I must (?:decline|refuse))/i,
  /\b(?:lo siento|no puedo (?:ayudar|hacer|proporcionar|compartir|responder))/i,
  /\b(?:je suis désolée?|je ne peux pas (?:vous aider|aider|fournir|partager|répondre))/i,
  /\b(?:es tut mir leid|ich kann (?:ihnen )?(?:nicht|dabei nicht) helfen|das kann ich nicht)/i,
  /\b(?:mi dispiace|non posso (?:aiutare|fornire|condividere|rispondere))/i,
  /\b(?:sinto muito|não posso (?:ajudar|fornecer|compartilhar|responder))/i,
  /\b(?:het spijt me|ik kan (?:u |je )?(?:daar )?niet (?:mee )?helpen)/i,
];

/** The descriptors a Monitor runs on answers unless told otherwise. */
export function defaultDescriptors(): Evaluator[] {
  return [refusalEvaluator({ patterns: REFUSALS }), languageEvaluator(), piiLeakEvaluator(), answerLengthEvaluator()];
}
