from palisade import Guard, PolicyDeniedError

guard = Guard()  # PALISADE_URL and PALISADE_KEY (a key from `palisade keys create`)


@guard.tool
def refund(order: str, amount: int) -> str:
    return f"refunded {amount} on {order}"


def main() -> str:
    with guard.session("chat-42", {"id": "joe", "roles": []}):
        try:
            return refund("A-7", 900)  # over the limit: waits for a human in the approval queue
        except PolicyDeniedError as e:
            return f"not refunded: {e}"
