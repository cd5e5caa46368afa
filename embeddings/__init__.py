"""embeddings: word2vec (torch and gensim backends), word vectors and LSTM language models."""
