"""``python -m finetune.train CONFIG [--resume]``: the training entry point (see :mod:`finetune.train.main`)."""

from finetune.train.main import main

if __name__ == "__main__":
    raise SystemExit(main())
