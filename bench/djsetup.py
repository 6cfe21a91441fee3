"""Run Django in a bench script's own process against the bench stack."""

import os


def setup(**extra_env) -> None:
    from bench import stack

    os.environ.update(stack.env(**extra_env))
    import django

    django.setup()
