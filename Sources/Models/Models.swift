import TensorCore

/// The model zoo, simplest first: linear → MLP → self-attention → transformer.
public enum ModelsModule {}
