"""The floor's handler: the smallest local asset a Lambda function can be built from."""


def handler(event: dict[str, object], context: object) -> None:
    return None
