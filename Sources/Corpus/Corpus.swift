/// Datasets on disk, character and word tokenizers, splits, training windows and evaluation
/// windows (DESIGN.md). Knows nothing of tensors or MPI; uses TensorCore's `RNG` only.
///
/// How a run uses it (the Trainer):
///
///     let location = DataLocation.resolve(dataDir: dataDirFlag)   // --data-dir, LMSWEEP_DATA, ./data
///     let corpus = try CorpusCache.shared.corpus(.wikitext2, .study, at: location)   // once per rank
///     var sampler = try corpus.trainingSampler(contextLength: 128, maxTrainTokens: 80_000, seed: config.seed)
///     var batch = TrainingBatch(batchSize: 64, contextLength: 128, targets: .last)
///     sampler.fill(&batch)                                        // every step; allocates nothing
///     let valid = try corpus.evaluationWindows(.valid, contextLength: 128, mode: .study(windows: 10_000))
///     for evaluationBatch in valid.batches(size: 256) { ... }    // NLL = Σ −ln p / valid.scoredTargetCount
///
/// Run configs' names map by raw value: `dataset` → ``CorpusDataset``, `convention` →
/// ``CorpusConvention``, `objective` → ``WindowTargets``.
public enum CorpusModule {}
