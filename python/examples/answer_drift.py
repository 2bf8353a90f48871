from palisade import Guard
from palisade.embeddings import EmbeddingDrift

# What the agent's answers are about when all is well: their meaning is the reference.
usual = [
    "Your refund for order 1182 was issued and reaches your card in five business days.",
    "I have cancelled order 2231; a confirmation e-mail follows.",
    "Your order 7781 is in transit and should arrive on Thursday.",
]

# Each model answer an adapter reports is embedded off the call's path and posted with its
# outcome as score:answer_drift, whose drift the service's monitor watches.
guard = Guard(evaluators=[EmbeddingDrift(reference=usual, sample_rate=0.2)])
