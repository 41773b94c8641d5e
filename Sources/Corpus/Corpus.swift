/// Datasets on disk, character and word tokenizers, splits, training windows and evaluation
/// windows. Knows nothing of tensors or MPI.
public enum CorpusModule {}
