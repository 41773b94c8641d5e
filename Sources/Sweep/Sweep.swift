import Training

/// Sweep specs, grid expansion, job ids, cost model, journal, merge and results tables.
public enum SweepModule {}
