"""embeddings: word2vec (torch and gensim backends), word vectors and LSTM language models."""
from .threads import passive_openmp_waits

# before any module of the package imports torch: its OpenMP runtime reads this once, as it loads
passive_openmp_waits()
