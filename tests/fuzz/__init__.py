"""The command-line fuzzer: every command, generated arguments, hostile input files.

- ``hostile.py``: the input files (broken encodings, one huge line, mixed scripts, lying vectors headers).
- ``broken_models.py``: BPE models, LM directories and word2vec checkpoints with one file broken each.
- ``commands.py``: one hypothesis strategy of argument lists per command.
- ``runner.py``: one invocation in a forked child under time and memory limits, and the verdict on it.
- ``driver.py``: ``python -m tests.fuzz.driver --n 2000``: many invocations, the counts they end with.
"""
